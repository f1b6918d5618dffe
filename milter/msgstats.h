/*
 * msgstats.h - what each message's outcome adds to the counters
 * (tables/stats.h): how it was handled and what became of it, the
 * signatures made and their time, why mail of ours went unsigned, the
 * verification results. Called by the callbacks at the point where the
 * outcome is final, once per message.
 */
#ifndef POSTDKIM_MSGSTATS_H
#define POSTDKIM_MSGSTATS_H

#include <stddef.h>

#include "../config/config.h"
#include "../tables/stats.h"
#include "session.h"

struct verifier;

/* The stats action for a configured action. */
enum stats_action msgstats_action(enum config_action a);
/* A message settled before its session decided (PeerList, limits, stopping...). */
void msgstats_early(enum stats_mode m, enum config_action a, enum stats_reason r);
/* A message neither signed nor verified, after the end of its header (action a). */
void msgstats_not_signed(const struct session *s, enum config_action a);
/* A message of ours left unsigned for reason r after all (DontSignMailTo, the MTA refused). */
void msgstats_ours_failed(const struct session *s, enum stats_reason r, enum config_action a);
/* A message signed: its n signatures. */
void msgstats_signed(const struct session *s, size_t n);
/* A message verified: results, A-R fields removed, action taken. */
void msgstats_verified(const struct session *s, const struct verifier *v, size_t removed,
    enum config_action a);

#endif
