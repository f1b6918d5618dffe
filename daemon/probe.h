/*
 * probe.h - ask the milter socket a question as the MTA would: connect,
 * negotiate options, quit. The answer proves that libmilter accepts
 * connections and that a worker thread runs a callback: the readiness
 * signal and the watchdog rely on it.
 */
#ifndef POSTDKIM_PROBE_H
#define POSTDKIM_PROBE_H

#include <stddef.h>

/* 0 when the socket of spec answered an option negotiation within ms. */
int probe_milter(const char *spec, int ms, char *err, size_t errsize);

#endif
