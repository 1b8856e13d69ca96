/* seats.c - listestemmetall and the modified Sainte-Laguë allocation with
 * exact quotients and seeded lots: cnt_listestemmetall, cnt_seats_allocate,
 * cnt_seats_free, the cnt_seats_* readers, cnt_quotient_format,
 * cnt_quotient_value. The rules are described in seats.h. */
#include "count/seats_internal.h"

#include "core/error.h"
#include "count/lots.h"

#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static const char *list_name(const cnt_list_votes *l)
{
    return l->code && l->code[0] ? l->code : "(no code)";
}

int cnt_listestemmetall(int64_t *out, const cnt_list_votes *list, int seats)
{
    *out = 0;
    if (seats < 1 || seats > CNT_MAX_SEATS)
        return err_set(TELLE_EINVAL, "seats: %d is outside 1..%d", seats,
                       CNT_MAX_SEATS);
    const char *name = list_name(list);
    if (list->ballots < 0 || list->ballots > CNT_MAX_BALLOTS)
        return err_set(TELLE_EINVAL,
                       "ballots: %" PRId64 " is outside 0..%" PRId64
                       " (list %s)",
                       list->ballots, CNT_MAX_BALLOTS, name);
    if (list->write_ins_received < 0 ||
        list->write_ins_received > CNT_MAX_WRITE_INS)
        return err_set(TELLE_EINVAL,
                       "write_ins_received: %" PRId64 " is outside 0..%" PRId64
                       " (list %s)",
                       list->write_ins_received, CNT_MAX_WRITE_INS, name);
    if (list->write_ins_given < 0 ||
        list->write_ins_given > list->ballots * seats)
        return err_set(TELLE_EINVAL,
                       "write_ins_given: %" PRId64 " is outside 0..%" PRId64
                       " (list %s: %" PRId64 " ballots × %d seats)",
                       list->write_ins_given, list->ballots * seats, name,
                       list->ballots, seats);
    *out = list->ballots * seats + list->write_ins_received -
           list->write_ins_given;
    return 0;
}

/* The current quotient of list i. */
static cnt_quotient quotient_of(const cnt_seats *s, int first_divisor_x10,
                                size_t i)
{
    int k = s->won[i];
    cnt_quotient q = {
        .list = i,
        .num = s->listestemmetall[i] * 10,
        .den = k == 0 ? first_divisor_x10 : (int64_t)(2 * k + 1) * 10,
    };
    return q;
}

/* Orders two lists' current standing: > 0 when a is ahead of b, < 0 when b
 * is ahead, 0 when only lots can part them. */
static int standing_cmp(const cnt_seats *s, cnt_quotient a, cnt_quotient b)
{
    int64_t lhs = a.num * b.den, rhs = b.num * a.den;
    if (lhs != rhs)
        return lhs > rhs ? 1 : -1;
    int64_t la = s->listestemmetall[a.list], lb = s->listestemmetall[b.list];
    if (la != lb)
        return la > lb ? 1 : -1;
    return 0;
}

/* Finds the lists standing first (with listestemmetall > 0), in input
 * order, into tied[]; returns how many (0 when no list has votes). */
static size_t leaders(size_t *tied, const cnt_seats *s, int fd_x10)
{
    size_t n = 0;
    cnt_quotient best = {0};
    for (size_t i = 0; i < s->n_lists; i++) {
        if (s->listestemmetall[i] <= 0)
            continue;
        cnt_quotient q = quotient_of(s, fd_x10, i);
        int c = n == 0 ? 1 : standing_cmp(s, q, best);
        if (c > 0) {
            best = q;
            n = 0;
        }
        if (c >= 0)
            tied[n++] = i;
    }
    return n;
}

static int check_input(const cnt_election_votes *in)
{
    if (in->seats < 1 || in->seats > CNT_MAX_SEATS)
        return err_set(TELLE_EINVAL, "seats: %d is outside 1..%d", in->seats,
                       CNT_MAX_SEATS);
    if (in->first_divisor_x10 < CNT_FIRST_DIVISOR_MIN_X10 ||
        in->first_divisor_x10 > CNT_FIRST_DIVISOR_MAX_X10)
        return err_set(TELLE_EINVAL,
                       "first_divisor: %d.%d is outside %d.%d..%d.%d",
                       in->first_divisor_x10 / 10, abs(in->first_divisor_x10 % 10),
                       CNT_FIRST_DIVISOR_MIN_X10 / 10,
                       CNT_FIRST_DIVISOR_MIN_X10 % 10,
                       CNT_FIRST_DIVISOR_MAX_X10 / 10,
                       CNT_FIRST_DIVISOR_MAX_X10 % 10);
    if (in->n_lists < 1 || in->n_lists > CNT_MAX_LISTS || !in->lists)
        return err_set(TELLE_EINVAL, "lists: %zu lists, need 1..%d",
                       in->n_lists, CNT_MAX_LISTS);
    for (size_t i = 0; i < in->n_lists; i++) {
        const char *code = in->lists[i].code;
        if (!code || !code[0])
            return err_set(TELLE_EINVAL, "lists[%zu].code: missing", i);
        for (size_t j = 0; j < i; j++)
            if (strcmp(in->lists[j].code, code) == 0)
                return err_set(TELLE_EINVAL,
                               "lists[%zu].code: %s repeats lists[%zu]", i,
                               code, j);
    }
    return 0;
}

static int record_draw(cnt_seats *s, const size_t *tied, size_t n_tied,
                       int first_seat, cnt_quotient q, uint64_t *state)
{
    size_t *block = malloc(2 * n_tied * sizeof *block);
    if (!block)
        return err_set(TELLE_ENOMEM, "seat %d: out of memory for a draw",
                       first_seat);
    memcpy(block, tied, n_tied * sizeof *block);
    memcpy(block + n_tied, tied, n_tied * sizeof *block);
    cnt_lots_shuffle(block + n_tied, n_tied, state);
    s->draw_blocks[s->n_draws] = block;
    q.list = block[n_tied];
    s->draws[s->n_draws] = (cnt_draw){
        .first_seat = first_seat,
        .quotient = q,
        .n_tied = n_tied,
        .tied = block,
        .order = block + n_tied,
        .awarded = 0,
        .decisive = false,
    };
    s->n_draws++;
    return 0;
}

int cnt_seats_allocate(cnt_seats **out, const cnt_election_votes *in)
{
    *out = NULL;
    cnt_seats *s = NULL;
    size_t *tied = NULL;
    int rc = check_input(in);
    if (rc < 0)
        return rc;

    rc = TELLE_ENOMEM;
    s = calloc(1, sizeof *s);
    if (!s)
        goto nomem;
    s->n_lists = in->n_lists;
    s->seats = in->seats;
    s->seed = in->seed;
    s->listestemmetall = calloc(in->n_lists, sizeof *s->listestemmetall);
    s->won = calloc(in->n_lists, sizeof *s->won);
    s->quotients = calloc((size_t)in->seats, sizeof *s->quotients);
    s->draws = calloc((size_t)in->seats, sizeof *s->draws);
    s->draw_blocks = calloc((size_t)in->seats, sizeof *s->draw_blocks);
    tied = calloc(in->n_lists, sizeof *tied);
    if (!s->listestemmetall || !s->won || !s->quotients || !s->draws ||
        !s->draw_blocks || !tied)
        goto nomem;

    bool any = false;
    for (size_t i = 0; i < in->n_lists; i++) {
        rc = cnt_listestemmetall(&s->listestemmetall[i], &in->lists[i],
                                 in->seats);
        if (rc < 0) {
            err_prefix("lists[%zu].", i);
            goto done;
        }
        any |= s->listestemmetall[i] > 0;
    }
    if (!any) {
        rc = err_set(TELLE_EINVAL,
                     "lists: no list has a listestemmetall above 0, so no "
                     "seat can be allocated");
        goto done;
    }

    uint64_t state = in->seed;
    int fd = in->first_divisor_x10;
    int seat = 0; /* seats awarded so far */
    cnt_draw *open_draw = NULL;
    while (seat < in->seats) {
        size_t n = leaders(tied, s, fd);
        open_draw = NULL;
        if (n > 1) {
            rc = record_draw(s, tied, n, seat + 1, quotient_of(s, fd, tied[0]),
                             &state);
            if (rc < 0)
                goto done;
            open_draw = &s->draws[s->n_draws - 1];
            memcpy(tied, open_draw->order, n * sizeof *tied);
        }
        /* Equal lists keep their quotient while the others take seats, so
         * the whole tied group is served in (drawn) order. */
        for (size_t k = 0; k < n && seat < in->seats; k++) {
            s->quotients[seat++] = quotient_of(s, fd, tied[k]);
            s->won[tied[k]]++;
            if (open_draw)
                open_draw->awarded++;
        }
        if (open_draw) {
            open_draw->decisive = open_draw->awarded < open_draw->n_tied;
            if (!open_draw->decisive)
                open_draw = NULL;
        }
    }

    if (open_draw) {
        /* Seats ran out inside a draw: the first list the lots left out is
         * next. */
        s->next = quotient_of(s, fd, open_draw->order[open_draw->awarded]);
        s->next_tied = false;
    } else {
        size_t n = leaders(tied, s, fd);
        s->next = quotient_of(s, fd, tied[0]);
        s->next_tied = n > 1;
    }
    rc = 0;
    *out = s;
    s = NULL;
    goto done;

nomem:
    rc = err_set(TELLE_ENOMEM, "seat allocation: out of memory");
done:
    free(tied);
    cnt_seats_free(s);
    return rc;
}

void cnt_seats_free(cnt_seats *s)
{
    if (!s)
        return;
    for (size_t i = 0; i < s->n_draws; i++)
        free(s->draw_blocks[i]);
    free(s->draw_blocks);
    free(s->draws);
    free(s->quotients);
    free(s->won);
    free(s->listestemmetall);
    free(s);
}

size_t cnt_seats_list_count(const cnt_seats *s) { return s->n_lists; }

int64_t cnt_seats_listestemmetall(const cnt_seats *s, size_t list)
{
    return list < s->n_lists ? s->listestemmetall[list] : 0;
}

int cnt_seats_won(const cnt_seats *s, size_t list)
{
    return list < s->n_lists ? s->won[list] : 0;
}

int cnt_seats_total(const cnt_seats *s) { return s->seats; }

cnt_quotient cnt_seats_quotient(const cnt_seats *s, int seat)
{
    if (seat < 1 || seat > s->seats)
        return (cnt_quotient){0, 0, 1};
    return s->quotients[seat - 1];
}

cnt_quotient cnt_seats_next(const cnt_seats *s) { return s->next; }

bool cnt_seats_next_tied(const cnt_seats *s) { return s->next_tied; }

uint64_t cnt_seats_seed(const cnt_seats *s) { return s->seed; }

size_t cnt_seats_draw_count(const cnt_seats *s) { return s->n_draws; }

const cnt_draw *cnt_seats_draw(const cnt_seats *s, size_t i)
{
    return i < s->n_draws ? &s->draws[i] : NULL;
}

void cnt_quotient_format(char text[CNT_QUOTIENT_TEXT], cnt_quotient q)
{
    if (q.num < 0 || q.den <= 0) {
        snprintf(text, CNT_QUOTIENT_TEXT, "nan");
        return;
    }
    /* round(num / den × 10^6) half up = floor((2 num 10^6 + den) / 2 den) */
    int64_t scaled = (2 * q.num * 1000000 + q.den) / (2 * q.den);
    snprintf(text, CNT_QUOTIENT_TEXT, "%" PRId64 ".%06" PRId64,
             scaled / 1000000, scaled % 1000000);
}

double cnt_quotient_value(cnt_quotient q)
{
    char text[CNT_QUOTIENT_TEXT];
    cnt_quotient_format(text, q);
    return strtod(text, NULL);
}
