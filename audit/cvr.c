/* cvr.c - sheet records and decisions as NIST SP 1500-103 cast vote records.
 *
 *   au_cvr_report, au_cvr_write
 *
 * Source: NIST Special Publication 1500-103, Cast Vote Records Common Data
 * Format Specification, Version 1.0 (Dana, Deutsch, Dziurlaj, Piper, Wack;
 * February 2019, https://doi.org/10.6028/NIST.SP.1500-103), its UML class
 * documentation (https://pages.nist.gov/CastVoteRecords/,
 * CastVoteRecords_UML_Documentation.md) and its JSON schema
 * NIST_V0_cast_vote_records.json from https://github.com/usnistgov/
 * CastVoteRecords (commit d98f2537e0524786debcbe6d8c31c96db6813042),
 * vendored in audit/schema/ and used by tests/audit/test_cvr.c to
 * validate what this file writes.
 *
 * Mapping (a Norwegian municipal or county ballot onto the model):
 *
 * - Election: one per election of the package ("election-KS"), scoped to
 *   the municipality (GpUnit "area-<code>", Type other/"kommune").
 *   Kretser that batches name are GpUnits of Type precinct
 *   ("krets-<code>"); a CVR's BallotStyleUnitId is its batch's krets.
 * - Party: one per list and election ("party-KS-AP"), Abbreviation the
 *   list code. Candidate: one per candidate ("cand-KS-AP-3") with PartyId.
 * - Contests per election:
 *   * "contest-KS-list", a PartyContest (VoteVariation proportional): the
 *     list vote. Its PartySelections are the lists ("sel-KS-list-AP").
 *     On a list ballot the list is printed, not marked: its one
 *     SelectionPosition has IsGenerated true and no mark metric. On an
 *     all-lists ballot every list box is a SelectionPosition with its
 *     score. A blank ballot has no selection (Status not-indicated).
 *   * "contest-KS-AP-personal", a CandidateContest per list (VoteVariation
 *     approval: any number of boxes): personal votes on that list's own
 *     ballots. CandidateSelections "sel-KS-AP-personal-3". Every vote box
 *     of the record is a SelectionPosition.
 *   * "contest-KS-writein", a CandidateContest (VotesAllowed =
 *     max_write_ins; only when the election has write-ins): write-ins
 *     (slengere). CandidateSelections for every candidate of every list
 *     ("sel-KS-writein-SP-3") and one IsWriteIn selection
 *     ("sel-KS-writein-none") for writing that names no candidate. The
 *     machine does not read names: its snapshot gives the number of
 *     entries found in the field as CVRContest WriteIns; the decided
 *     snapshot has one position per entry the operator read, with the text
 *     in CVRWriteIn and NumberVotes 0 / IsAllocable no (Status
 *     invalidated-rules, OtherStatus the reason) when it does not count.
 * - A vote box: HasIndication yes (marked), unknown (marginal: a person
 *   decides), no (empty); NumberVotes 1 when marked else 0; the box's
 *   score as MarkMetricValue (text, as the schema types it; the metric is
 *   named in ReportingDevice MarkMetricType). IsAllocable: yes / no when
 *   the machine's outcome is final (approved, blank), unknown when the
 *   sheet went to review.
 * - CVR: one per sheet record. BatchId the batch, BatchSequenceId the
 *   sheet's place in scan order (from 1), BallotAuditId "<batch>/<sheet>"
 *   (the sheet's name in the audit package), UniqueId the record id,
 *   BallotStyleId the style read, BallotImage the pages: Location
 *   "file:archive/<batch>/<file>" (the audit export's layout) and the
 *   page's pixel hash (Type other: telle-pixels/1 SHA-256, core/hash.h).
 * - CVRSnapshot "<unique>-original", Type original: the record as the
 *   machine read it; Status needs-adjudication when it went to review,
 *   plus other with OtherStatus "outcome ...; reasons ...".
 *   CVRSnapshot "<unique>-modified", Type modified, when a decision is in
 *   effect (approve, blank, or a confirmed rejection): the decision, with
 *   an Annotation naming the operators (the proposer and the confirmer of
 *   a rejection), the decision's time and its remark. Positions a person
 *   changed have Status adjudicated. CurrentSnapshotId names it.
 *
 * A note on CVRType: the task this module was written for asks for
 * "modified" as the decided snapshot, and that is what AU_CVR_DECIDED_TYPE
 * says. NIST's UML documentation words the enumeration as original "As
 * scanned, no contest rules applied", modified "After contest rules
 * applied", interpreted "Has been adjudicated". A telle decision does both
 * (a person judges the ballot and the rules for write-ins are applied to
 * it); a reader who wants "interpreted" changes the one constant in cvr.h.
 */
#include "audit/cvr.h"

#include "core/error.h"
#include "core/package_json.h"
#include "verify/queue.h"

#include <errno.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

typedef struct {
    st_db *db;
    json_t *pkg;      /* stored election.json */
    json_t *cvrs;     /* the report's CVR array */
    json_t *kretser;  /* krets code -> true, in first-seen order */
} builder;

static const char *sget(json_t *o, const char *k)
{
    return json_string_value(json_object_get(o, k));
}

static json_t *idf(const char *fmt, const char *a, const char *b, long n)
{
    char buf[512];
    if (b == NULL)
        snprintf(buf, sizeof buf, fmt, a);
    else if (n < 0)
        snprintf(buf, sizeof buf, fmt, a, b);
    else
        snprintf(buf, sizeof buf, fmt, a, b, n);
    return json_string(buf);
}

static bool has_write_ins(json_t *el)
{
    return json_integer_value(json_object_get(el, "max_write_ins")) > 0;
}

/* ---- the report's definitions: elections, parties, candidates ---- */

static json_t *election_def(json_t *el, const char *area_id)
{
    const char *eid = sget(el, "id");
    json_t *cands = json_array(), *contests = json_array();
    json_t *party_sel = json_array();
    size_t i, j;
    json_t *l, *c;
    json_array_foreach(json_object_get(el, "lists"), i, l) {
        const char *code = sget(l, "code");
        json_array_append_new(party_sel, json_pack("{s:s, s:o, s:[o]}", "@type",
                                                   "CVR.PartySelection", "@id",
                                                   idf("sel-%s-list-%s", eid, code, -1),
                                                   "PartyIds",
                                                   idf("party-%s-%s", eid, code, -1)));
    }
    json_array_append_new(contests, json_pack("{s:s, s:o, s:s, s:s, s:o}", "@type",
                                              "CVR.PartyContest", "@id",
                                              idf("contest-%s-list", eid, NULL, 0), "Name",
                                              "Listestemme", "VoteVariation", "proportional",
                                              "ContestSelection", party_sel));
    json_array_foreach(json_object_get(el, "lists"), i, l) {
        const char *code = sget(l, "code");
        json_t *sels = json_array();
        json_array_foreach(json_object_get(l, "candidates"), j, c) {
            long no = (long)json_integer_value(json_object_get(c, "no"));
            json_array_append_new(cands, json_pack("{s:s, s:o, s:s?, s:o}", "@type",
                                                   "CVR.Candidate", "@id",
                                                   idf("cand-%s-%s-%ld", eid, code, no),
                                                   "Name", sget(c, "name"), "PartyId",
                                                   idf("party-%s-%s", eid, code, -1)));
            json_array_append_new(sels, json_pack("{s:s, s:o, s:[o]}", "@type",
                                                  "CVR.CandidateSelection", "@id",
                                                  idf("sel-%s-%s-personal-%ld", eid, code, no),
                                                  "CandidateIds",
                                                  idf("cand-%s-%s-%ld", eid, code, no)));
        }
        char name[300];
        snprintf(name, sizeof name, "Personstemmer, %s", sget(l, "name") ? sget(l, "name") : code);
        json_t *contest = json_pack("{s:s, s:o, s:s, s:s, s:o}", "@type", "CVR.CandidateContest",
                                    "@id", idf("contest-%s-%s-personal", eid, code, -1), "Name",
                                    name, "VoteVariation", "approval", "ContestSelection", sels);
        if (json_array_size(sels) == 0) {
            /* The schema wants at least one selection; a list without
             * candidates has no personal-vote contest. */
            json_decref(contest);
            continue;
        }
        json_array_append_new(contests, contest);
    }
    if (has_write_ins(el)) {
        json_t *sels = json_array();
        json_array_foreach(json_object_get(el, "lists"), i, l) {
            const char *code = sget(l, "code");
            json_array_foreach(json_object_get(l, "candidates"), j, c) {
                long no = (long)json_integer_value(json_object_get(c, "no"));
                json_array_append_new(sels, json_pack("{s:s, s:o, s:[o]}", "@type",
                                                      "CVR.CandidateSelection", "@id",
                                                      idf("sel-%s-writein-%s-%ld", eid, code, no),
                                                      "CandidateIds",
                                                      idf("cand-%s-%s-%ld", eid, code, no)));
            }
        }
        json_array_append_new(sels, json_pack("{s:s, s:o, s:b}", "@type",
                                              "CVR.CandidateSelection", "@id",
                                              idf("sel-%s-writein-none", eid, NULL, 0),
                                              "IsWriteIn", 1));
        json_array_append_new(contests, json_pack("{s:s, s:o, s:s, s:s, s:I, s:o}", "@type",
                                                  "CVR.CandidateContest", "@id",
                                                  idf("contest-%s-writein", eid, NULL, 0),
                                                  "Name", "Kandidater fra andre lister (slengere)",
                                                  "VoteVariation", "approval", "VotesAllowed",
                                                  json_object_get(el, "max_write_ins")
                                                      ? json_integer_value(json_object_get(el, "max_write_ins"))
                                                      : 0,
                                                  "ContestSelection", sels));
    }
    return json_pack("{s:s, s:o, s:s?, s:s, s:o, s:o}", "@type", "CVR.Election", "@id",
                     idf("election-%s", eid, NULL, 0), "Name", sget(el, "name"),
                     "ElectionScopeId", area_id, "Candidate", cands, "Contest", contests);
}

/* ---- positions and contests of one snapshot ---- */

static json_t *score_text(json_t *mark)
{
    json_t *s = json_object_get(mark, "score");
    if (!json_is_number(s))
        return NULL;
    char buf[32];
    snprintf(buf, sizeof buf, "%.10g", json_number_value(s));
    return json_pack("[s]", buf);
}

/* One SelectionPosition. has: yes/no/unknown; alloc: yes/no/unknown;
 * mark may be NULL (no metric); status may be NULL. */
static json_t *position(const char *has, int votes, const char *alloc, json_t *mark,
                        bool generated, const char *status)
{
    json_t *p = json_pack("{s:s, s:s, s:i, s:s}", "@type", "CVR.SelectionPosition",
                          "HasIndication", has, "NumberVotes", votes, "IsAllocable", alloc);
    json_t *m = mark ? score_text(mark) : NULL;
    if (m)
        json_object_set_new(p, "MarkMetricValue", m);
    if (generated)
        json_object_set_new(p, "IsGenerated", json_true());
    if (status)
        json_object_set_new(p, "Status", json_pack("[s]", status));
    return p;
}

static json_t *selection(json_t *sel_id, json_t *pos)
{
    return json_pack("{s:s, s:o, s:[o]}", "@type", "CVR.CVRContestSelection",
                     "ContestSelectionId", sel_id, "SelectionPosition", pos);
}

static json_t *contest(json_t *contest_id, json_t *sels)
{
    return json_pack("{s:s, s:o, s:o}", "@type", "CVR.CVRContest", "ContestId", contest_id,
                     "CVRContestSelection", sels);
}

static const char *indication(const char *state)
{
    if (state && strcmp(state, "marked") == 0)
        return "yes";
    if (state && strcmp(state, "marginal") == 0)
        return "unknown";
    return "no";
}

static bool int_in(json_t *arr, json_int_t v)
{
    size_t i;
    json_t *x;
    json_array_foreach(arr, i, x)
        if (json_integer_value(x) == v)
            return true;
    return false;
}

/* The machine's snapshot contests. */
static json_t *original_contests(json_t *el, json_t *rec)
{
    const char *eid = sget(el, "id");
    const char *outcome = sget(rec, "outcome");
    const char *list = sget(rec, "list");
    bool review = outcome == NULL || strcmp(outcome, "review") == 0;
    bool approved = outcome && strcmp(outcome, "approved") == 0;
    json_t *contests = json_array();
    json_t *marks = json_object_get(rec, "marks");
    size_t i;
    json_t *mk;

    /* The list vote. */
    json_t *lsels = json_array();
    bool list_boxes = false;
    json_array_foreach(marks, i, mk) {
        const char *ml = sget(mk, "list");
        if (ml == NULL || pkg_json_list(el, ml) == NULL)
            continue;
        list_boxes = true;
        const char *has = indication(sget(mk, "state"));
        const char *alloc = review ? "unknown"
                            : (approved && list && strcmp(list, ml) == 0) ? "yes" : "no";
        json_array_append_new(lsels, selection(idf("sel-%s-list-%s", eid, ml, -1),
                                               position(has, strcmp(has, "yes") == 0, alloc,
                                                        mk, false, NULL)));
    }
    if (!list_boxes && list && pkg_json_list(el, list))
        json_array_append_new(lsels, selection(idf("sel-%s-list-%s", eid, list, -1),
                                               position("yes", 1,
                                                        review ? "unknown" : approved ? "yes" : "no",
                                                        NULL, true, NULL)));
    json_t *lc = contest(idf("contest-%s-list", eid, NULL, 0), lsels);
    if (json_array_size(lsels) == 0)
        json_object_set_new(lc, "Status", json_pack("[s]", "not-indicated"));
    json_array_append_new(contests, lc);

    /* Personal votes on the ballot's own list. */
    json_t *l = list ? pkg_json_list(el, list) : NULL;
    if (l && json_array_size(json_object_get(l, "candidates")) > 0) {
        json_t *psels = json_array();
        json_t *votes = json_object_get(rec, "personal_votes");
        json_t *seen = json_array();
        json_array_foreach(marks, i, mk) {
            json_t *cand = json_object_get(mk, "candidate");
            if (!json_is_integer(cand))
                continue;
            long no = (long)json_integer_value(cand);
            const char *has = indication(sget(mk, "state"));
            bool yes = strcmp(has, "yes") == 0;
            const char *alloc = review ? "unknown" : (approved && yes) ? "yes" : "no";
            json_array_append_new(psels, selection(idf("sel-%s-%s-personal-%ld", eid, list, no),
                                                   position(has, yes, alloc, mk, false, NULL)));
            json_array_append_new(seen, json_integer(no));
        }
        /* A personal vote the record names without a box reading. */
        json_t *v;
        json_array_foreach(votes, i, v) {
            if (int_in(seen, json_integer_value(v)))
                continue;
            json_array_append_new(psels, selection(idf("sel-%s-%s-personal-%ld", eid, list,
                                                       (long)json_integer_value(v)),
                                                   position("yes", 1,
                                                            review ? "unknown" : approved ? "yes" : "no",
                                                            NULL, false, NULL)));
        }
        json_decref(seen);
        json_array_append_new(contests, contest(idf("contest-%s-%s-personal", eid, list, -1),
                                                psels));
    }

    /* Write-ins: found, not read. */
    json_int_t found = json_integer_value(json_object_get(json_object_get(rec, "write_ins"),
                                                          "in_field"));
    if (has_write_ins(el) && found > 0) {
        json_t *wc = contest(idf("contest-%s-writein", eid, NULL, 0), json_array());
        json_object_set_new(wc, "WriteIns", json_integer(found));
        json_object_set_new(wc, "Status", json_pack("[s]", "other"));
        json_object_set_new(wc, "OtherStatus",
                            json_string("entries found in the write-in field; a person reads them"));
        json_array_append_new(contests, wc);
    }
    return contests;
}

/* The decided snapshot's contests. */
static json_t *decided_contests(json_t *el, json_t *rec, json_t *dec)
{
    const char *eid = sget(el, "id");
    const char *action = sget(dec, "action");
    json_t *contests = json_array();
    json_t *marks = json_object_get(rec, "marks");
    size_t i;
    json_t *mk;
    if (action == NULL || strcmp(action, "approve") != 0) {
        json_t *lc = contest(idf("contest-%s-list", eid, NULL, 0), json_array());
        json_object_set_new(lc, "Status", json_pack("[s]", action && strcmp(action, "reject") == 0
                                                            ? "invalidated-rules"
                                                            : "not-indicated"));
        json_array_append_new(contests, lc);
        return contests;
    }
    const char *list = sget(dec, "list");
    const char *rlist = sget(rec, "list");
    json_t *lsels = json_array();
    bool list_boxes = false;
    json_array_foreach(marks, i, mk) {
        const char *ml = sget(mk, "list");
        if (ml == NULL || pkg_json_list(el, ml) == NULL)
            continue;
        list_boxes = true;
        bool yes = list && strcmp(list, ml) == 0;
        const char *was = indication(sget(mk, "state"));
        json_array_append_new(lsels, selection(idf("sel-%s-list-%s", eid, ml, -1),
                                               position(yes ? "yes" : "no", yes, yes ? "yes" : "no",
                                                        mk, false,
                                                        strcmp(was, yes ? "yes" : "no") != 0
                                                            ? "adjudicated" : NULL)));
    }
    if (list && !(list_boxes && pkg_json_list(el, list)))
        json_array_append_new(lsels, selection(idf("sel-%s-list-%s", eid, list, -1),
                                               position("yes", 1, "yes", NULL, true,
                                                        rlist && strcmp(rlist, list) == 0
                                                            ? NULL : "adjudicated")));
    json_array_append_new(contests, contest(idf("contest-%s-list", eid, NULL, 0), lsels));

    json_t *l = list ? pkg_json_list(el, list) : NULL;
    json_t *votes = json_object_get(dec, "personal_votes");
    if (l && json_array_size(json_object_get(l, "candidates")) > 0) {
        json_t *psels = json_array();
        json_t *seen = json_array();
        if (rlist && strcmp(rlist, list) == 0) {
            json_array_foreach(marks, i, mk) {
                json_t *cand = json_object_get(mk, "candidate");
                if (!json_is_integer(cand))
                    continue;
                long no = (long)json_integer_value(cand);
                bool yes = int_in(votes, no);
                const char *was = indication(sget(mk, "state"));
                json_array_append_new(psels,
                    selection(idf("sel-%s-%s-personal-%ld", eid, list, no),
                              position(yes ? "yes" : "no", yes, yes ? "yes" : "no", mk, false,
                                       strcmp(was, yes ? "yes" : "no") != 0 ? "adjudicated"
                                                                            : NULL)));
                json_array_append_new(seen, json_integer(no));
            }
        }
        json_t *v;
        json_array_foreach(votes, i, v) {
            if (int_in(seen, json_integer_value(v)))
                continue;
            json_array_append_new(psels, selection(idf("sel-%s-%s-personal-%ld", eid, list,
                                                       (long)json_integer_value(v)),
                                                   position("yes", 1, "yes", NULL, false,
                                                            "adjudicated")));
        }
        json_decref(seen);
        json_array_append_new(contests, contest(idf("contest-%s-%s-personal", eid, list, -1),
                                                psels));
    }

    json_t *wis = json_object_get(dec, "write_ins");
    if (has_write_ins(el) && json_array_size(wis) > 0) {
        json_t *wsels = json_array();
        json_t *w;
        json_array_foreach(wis, i, w) {
            const char *wl = sget(w, "list");
            json_t *wc = json_object_get(w, "candidate");
            bool counts = json_is_true(json_object_get(w, "counts"));
            json_t *sel_id = wl && json_integer_value(wc) > 0 && pkg_json_list(el, wl)
                ? idf("sel-%s-writein-%s-%ld", eid, wl, (long)json_integer_value(wc))
                : idf("sel-%s-writein-none", eid, NULL, 0);
            json_t *pos = position("yes", counts, counts ? "yes" : "no", NULL, false,
                                   "adjudicated");
            if (!counts) {
                json_array_append_new(json_object_get(pos, "Status"),
                                      json_string("invalidated-rules"));
                if (sget(w, "why")) {
                    json_array_append_new(json_object_get(pos, "Status"), json_string("other"));
                    json_object_set_new(pos, "OtherStatus", json_string(sget(w, "why")));
                }
            }
            const char *text = sget(w, "text") ? sget(w, "text") : sget(w, "name");
            json_t *cw = json_pack("{s:s}", "@type", "CVR.CVRWriteIn");
            if (text)
                json_object_set_new(cw, "Text", json_string(text));
            json_object_set_new(pos, "CVRWriteIn", cw);
            json_array_append_new(wsels, selection(sel_id, pos));
        }
        json_t *wc = contest(idf("contest-%s-writein", eid, NULL, 0), wsels);
        json_object_set_new(wc, "WriteIns", json_integer((json_int_t)json_array_size(wis)));
        json_array_append_new(contests, wc);
    }
    return contests;
}

/* "outcome approved" / "outcome review; reasons a, b". */
static json_t *outcome_text(json_t *rec)
{
    char buf[1024];
    int n = snprintf(buf, sizeof buf, "outcome %s",
                     sget(rec, "outcome") ? sget(rec, "outcome") : "review");
    json_t *reasons = json_object_get(rec, "reasons");
    size_t i;
    json_t *r;
    json_array_foreach(reasons, i, r) {
        if (n > 0 && (size_t)n < sizeof buf)
            n += snprintf(buf + n, sizeof buf - (size_t)n, "%s%s", i == 0 ? "; reasons " : ", ",
                          json_string_value(r) ? json_string_value(r) : "?");
    }
    return json_string(buf);
}

static const char *event_time(json_t *history, int64_t seq)
{
    size_t i;
    json_t *h;
    json_array_foreach(history, i, h)
        if (json_integer_value(json_object_get(h, "seq")) == seq)
            return sget(h, "time");
    return NULL;
}

/* ISO 8601 the schema's date-time accepts: "2026-11-22T08:16:34.123Z" is
 * stored already in that form. */
static json_t *decided_snapshot(vq_item *it, json_t *el, json_t *snap_id)
{
    json_t *dec = it->decision;
    const char *action = sget(dec, "action");
    json_t *names = json_array(), *msgs = json_array();
    if (it->decided_by)
        json_array_append_new(names, json_string(it->decided_by));
    if (it->confirmed_by)
        json_array_append_new(names, json_string(it->confirmed_by));
    char buf[600];
    if (action && strcmp(action, "reject") == 0)
        snprintf(buf, sizeof buf, "rejected, valgloven § 10-3 (1) %s (%s), confirmed by %s",
                 sget(dec, "ground") ? sget(dec, "ground") : "?",
                 sget(dec, "ground_text") ? sget(dec, "ground_text") : "",
                 it->confirmed_by ? it->confirmed_by : "?");
    else if (action && strcmp(action, "approve") == 0)
        snprintf(buf, sizeof buf, "approved for %s", sget(dec, "list") ? sget(dec, "list") : "?");
    else
        snprintf(buf, sizeof buf, "%s", action ? action : "?");
    json_array_append_new(msgs, json_string(buf));
    if (sget(dec, "remark"))
        json_array_append_new(msgs, json_string(sget(dec, "remark")));
    json_t *ann = json_pack("{s:s, s:o, s:o}", "@type", "CVR.Annotation", "AdjudicatorName",
                            names, "Message", msgs);
    const char *t = event_time(it->history, it->confirm_seq ? it->confirm_seq : it->decision_seq);
    if (t)
        json_object_set_new(ann, "TimeStamp", json_string(t));
    char other[700];
    snprintf(other, sizeof other, "decision %s (event %lld)", buf,
             (long long)(it->confirm_seq ? it->confirm_seq : it->decision_seq));
    return json_pack("{s:s, s:o, s:s, s:o, s:[s], s:s, s:[o]}", "@type", "CVR.CVRSnapshot",
                     "@id", snap_id, "Type", AU_CVR_DECIDED_TYPE, "CVRContest",
                     decided_contests(el, it->record, dec), "Status", "other", "OtherStatus",
                     other, "Annotation", ann);
}

static const char *basename_of(const char *path)
{
    const char *s = strrchr(path, '/');
    return s ? s + 1 : path;
}

static int batch_cvrs(builder *b, const char *batch)
{
    vq_batch_state *s = NULL;
    int rc = vq_batch_state_get(&s, b->db, batch, vq_now_ms());
    if (rc < 0)
        return rc;
    json_object_set_new(b->kretser, s->krets, json_true());
    for (int k = 0; k < s->n_items; k++) {
        vq_item *it = &s->items[k];
        if ((rc = vq_item_record_load(b->db, it)) < 0)
            goto done;
        json_t *rec = it->record;
        const char *rel = sget(rec, "election");
        json_t *el = pkg_json_election(b->pkg, rel);
        if (el == NULL)
            el = pkg_json_election(b->pkg, s->election);
        if (el == NULL) {
            rc = err_set(TELLE_EFORMAT, "batch %s: election %s is not in the package", batch,
                         s->election);
            goto done;
        }
        const char *eid = sget(el, "id");
        char uid[32];
        snprintf(uid, sizeof uid, "%lld", (long long)it->id);
        json_t *orig_id = idf("sheet-%s-%s", uid, AU_CVR_MACHINE_TYPE, -1);
        json_t *snap = json_pack("{s:s, s:O, s:s, s:o, s:[s], s:o}", "@type",
                                 "CVR.CVRSnapshot", "@id", orig_id, "Type",
                                 AU_CVR_MACHINE_TYPE, "CVRContest", original_contests(el, rec),
                                 "Status", "other", "OtherStatus", outcome_text(rec));
        if (strcmp(it->outcome, "review") == 0)
            json_array_insert_new(json_object_get(snap, "Status"), 0,
                                  json_string("needs-adjudication"));
        json_t *snaps = json_pack("[o]", snap);
        /* current: the reference the CVR takes (orig_id's own, or the
         * modified snapshot's id) */
        json_t *current = orig_id;
        if (it->state == VQ_ITEM_DECIDED && it->decision) {
            json_t *mod_id = idf("sheet-%s-%s", uid, AU_CVR_DECIDED_TYPE, -1);
            json_array_append_new(snaps, decided_snapshot(it, el, json_incref(mod_id)));
            json_decref(orig_id);
            current = mod_id;
        }
        json_t *images = json_array();
        size_t i;
        json_t *pg;
        json_array_foreach(json_object_get(rec, "pages"), i, pg) {
            const char *file = sget(pg, "file");
            json_t *img = json_pack("{s:s}", "@type", "CVR.ImageData");
            if (file) {
                char loc[1024];
                snprintf(loc, sizeof loc, "file:archive/%s/%s", batch, basename_of(file));
                json_object_set_new(img, "Location", json_string(loc));
            }
            if (sget(pg, "sha256"))
                json_object_set_new(img, "Hash",
                                    json_pack("{s:s, s:s, s:s, s:s}", "@type", "CVR.Hash",
                                              "Type", "other", "OtherType",
                                              "telle-pixels/1 SHA-256 of the decoded page",
                                              "Value", sget(pg, "sha256")));
            json_array_append_new(images, img);
        }
        char audit_id[1024];
        snprintf(audit_id, sizeof audit_id, "%s/%s", batch, it->sheet);
        json_t *cvr = json_pack("{s:s, s:o, s:o, s:o, s:s, s:i, s:s, s:s, s:o, s:s, s:o, s:o}",
                                "@type", "CVR.CVR", "ElectionId",
                                idf("election-%s", eid, NULL, 0), "CurrentSnapshotId", current,
                                "CVRSnapshot", snaps, "BatchId", batch, "BatchSequenceId",
                                k + 1, "BallotAuditId", audit_id, "UniqueId", uid,
                                "BallotStyleUnitId", idf("krets-%s", s->krets, NULL, 0),
                                "CreatingDeviceId", "telle", "BallotImage", images,
                                "PartyIds", json_array());
        if (cvr == NULL) {
            rc = err_set(TELLE_ENOMEM, "out of memory");
            goto done;
        }
        if (sget(rec, "style"))
            json_object_set_new(cvr, "BallotStyleId", json_string(sget(rec, "style")));
        json_t *dlist = it->state == VQ_ITEM_DECIDED && it->decision
                            ? json_object_get(it->decision, "list") : json_object_get(rec, "list");
        if (json_is_string(dlist) && pkg_json_list(el, json_string_value(dlist)))
            json_array_append_new(json_object_get(cvr, "PartyIds"),
                                  idf("party-%s-%s", eid, json_string_value(dlist), -1));
        else
            json_object_del(cvr, "PartyIds");
        json_array_append_new(b->cvrs, cvr);
    }
done:
    vq_batch_state_free(s);
    return rc;
}

static void now_iso(char buf[32])
{
    time_t t = time(NULL);
    struct tm tm;
    gmtime_r(&t, &tm);
    strftime(buf, 32, "%Y-%m-%dT%H:%M:%SZ", &tm);
}

/* Called after each batch with that batch's CVRs (in scan order); the
 * array is emptied afterwards. */
typedef int (*cvr_sink)(json_t *cvrs, void *ctx);

/* Walks every batch, hands each batch's CVRs to sink, and returns the
 * report's other members in *header (no "CVR"). Memory stays that of one
 * batch whatever the size of the count. */
static int build(json_t **header, st_db *db, const char *generated_date, cvr_sink sink,
                 void *ctx)
{
    builder b = {db, NULL, json_array(), json_object()};
    char *text = NULL, **batches = NULL;
    int rc;
    *header = NULL;
    if (b.cvrs == NULL || b.kretser == NULL) {
        rc = err_set(TELLE_ENOMEM, "out of memory");
        goto done;
    }
    if ((rc = st_package_get(&text, NULL, db)) < 0)
        goto done;
    json_error_t je;
    if ((b.pkg = json_loads(text, 0, &je)) == NULL) {
        rc = err_set(TELLE_EFORMAT, "%s: stored election.json: %s", st_db_path(db), je.text);
        goto done;
    }
    if ((rc = st_batch_list(&batches, db)) < 0)
        goto done;
    for (int i = 0; batches[i]; i++) {
        if ((rc = batch_cvrs(&b, batches[i])) < 0) {
            err_prefix("batch %s: ", batches[i]);
            goto done;
        }
        if ((rc = sink(b.cvrs, ctx)) < 0)
            goto done;
        json_array_clear(b.cvrs);
    }
    json_t *area = json_object_get(b.pkg, "area");
    const char *acode = sget(area, "code") ? sget(area, "code") : "area";
    json_t *area_id = idf("area-%s", acode, NULL, 0);
    json_t *gp = json_array();
    json_array_append_new(gp, json_pack("{s:s, s:O, s:s, s:s, s:s?, s:[{s:s, s:s, s:s, s:s}]}",
                                        "@type", "CVR.GpUnit", "@id", area_id, "Type", "other",
                                        "OtherType", "kommune", "Name", sget(area, "name"),
                                        "Code", "@type", "CVR.Code", "Type", "other",
                                        "OtherType", "kommunenummer", "Value", acode));
    const char *kcode;
    json_t *kv;
    json_object_foreach(b.kretser, kcode, kv) {
        char name[300];
        snprintf(name, sizeof name, "stemmekrets %s", kcode);
        json_array_append_new(gp, json_pack("{s:s, s:o, s:s, s:s, s:[{s:s, s:s, s:s, s:s}]}",
                                            "@type", "CVR.GpUnit", "@id",
                                            idf("krets-%s", kcode, NULL, 0), "Type", "precinct",
                                            "Name", name, "Code", "@type", "CVR.Code", "Type",
                                            "other", "OtherType", "kretsnummer", "Value", kcode));
    }
    json_t *elections = json_array(), *parties = json_array();
    size_t i, j;
    json_t *el, *l;
    json_array_foreach(json_object_get(b.pkg, "elections"), i, el) {
        json_array_append_new(elections, election_def(el, json_string_value(area_id)));
        json_array_foreach(json_object_get(el, "lists"), j, l)
            json_array_append_new(parties, json_pack("{s:s, s:o, s:s?, s:s?}", "@type",
                                                     "CVR.Party", "@id",
                                                     idf("party-%s-%s", sget(el, "id"),
                                                         sget(l, "code"), -1),
                                                     "Name", sget(l, "name"), "Abbreviation",
                                                     sget(l, "code")));
    }
    json_decref(area_id);
    char now[32];
    if (generated_date == NULL)
        now_iso(now);
    json_t *device = json_pack(
        "{s:s, s:s, s:s, s:s, s:s, s:s, s:[s, s]}", "@type", "CVR.ReportingDevice", "@id",
        "telle", "Application", "telle (open-source ballot scanning and recognition)",
        "Manufacturer", "the telle project", "Model", "telle", "MarkMetricType",
        "telle box score: the share (0..1, to 0.001) of a vote box's open interior covered "
        "by ink after the printed box is explained; marked from 0.08 with a span of 40 % of "
        "the box, marginal from 0.012 (recognition/README.md)",
        "Notes",
        "One CVR per sheet record; CVRSnapshot original = the machine's reading, modified = "
        "the operators' decision in effect (see audit/cvr.c for the mapping).",
        "Contests per election: the list vote (PartyContest), personal votes per list "
        "(CandidateContest), write-ins (CandidateContest, kommunestyrevalg only).");
    *header = json_pack("{s:s, s:s, s:s, s:[s], s:[o], s:[s, s], s:o, s:o, s:o, s:s?}",
                        "@type", "CVR.CastVoteRecordReport", "Version", "1.0.0",
                        "GeneratedDate", generated_date ? generated_date : now,
                        "ReportGeneratingDeviceIds", "telle", "ReportingDevice", device,
                        "ReportType", "originating-device-export", "adjudicated", "GpUnit", gp,
                        "Party", parties, "Election", elections, "Notes",
                        sget(b.pkg, "event"));
    if (*header == NULL)
        rc = err_set(TELLE_ENOMEM, "out of memory");
done:
    st_strv_free(batches);
    free(text);
    json_decref(b.pkg);
    json_decref(b.cvrs);
    json_decref(b.kretser);
    return rc;
}

static int collect(json_t *cvrs, void *ctx)
{
    return json_array_extend(ctx, cvrs) < 0 ? err_set(TELLE_ENOMEM, "out of memory") : 0;
}

int au_cvr_report(json_t **out, st_db *db, const char *generated_date)
{
    json_t *all = json_array(), *header = NULL;
    *out = NULL;
    if (all == NULL)
        return err_set(TELLE_ENOMEM, "out of memory");
    int rc = build(&header, db, generated_date, collect, all);
    if (rc < 0) {
        json_decref(all);
        return rc;
    }
    json_object_set_new(header, "CVR", all);
    *out = header;
    return 0;
}

typedef struct {
    FILE *f;
    const char *path;
    long n;
} writer;

static int write_cvrs(json_t *cvrs, void *ctx)
{
    writer *w = ctx;
    size_t i;
    json_t *c;
    json_array_foreach(cvrs, i, c) {
        if (fputs(w->n++ ? ",\n" : "\n", w->f) < 0 ||
            json_dumpf(c, w->f, JSON_COMPACT | JSON_REAL_PRECISION(10)) < 0)
            return err_set(TELLE_EIO, "%s: write failed", w->path);
    }
    return 0;
}

int au_cvr_write(st_db *db, const char *path, const char *generated_date)
{
    writer w = {fopen(path, "w"), path, 0};
    json_t *header = NULL;
    char *text = NULL;
    if (w.f == NULL)
        return err_set(TELLE_EIO, "%s: cannot write: %s", path, strerror(errno));
    int rc;
    if (fputs("{\"CVR\": [", w.f) < 0) {
        rc = err_set(TELLE_EIO, "%s: write failed", path);
        goto done;
    }
    if ((rc = build(&header, db, generated_date, write_cvrs, &w)) < 0)
        goto done;
    /* The other members after the CVRs: the header's text without its
     * opening brace. */
    text = json_dumps(header, JSON_INDENT(1) | JSON_REAL_PRECISION(10));
    if (text == NULL || text[0] != '{') {
        rc = err_set(TELLE_ENOMEM, "out of memory");
        goto done;
    }
    if (fprintf(w.f, "\n],%s\n", text + 1) < 0)
        rc = err_set(TELLE_EIO, "%s: write failed", path);
done:
    free(text);
    json_decref(header);
    if (fclose(w.f) != 0 && rc == 0)
        rc = err_set(TELLE_EIO, "%s: write failed: %s", path, strerror(errno));
    return rc;
}
