/*
 * loaded.h - the load record: after every successful load of the
 * configuration (start and each reload), the file "loaded" beside the
 * PidFile holds "GENERATION EPOCH\n" (loads since start, and the time of
 * this one), replaced atomically. dkimrotate reads it to know that the
 * daemon is signing with the tables it rewrote.
 */
#ifndef POSTDKIM_LOADED_H
#define POSTDKIM_LOADED_H

/* Where the record goes: beside pidfile (NULL: nowhere). Before the first load_record. */
void loaded_init(const char *pidfile);
/* Record one more successful load; a failure is logged once, never fatal. */
void loaded_record(void);

#endif
