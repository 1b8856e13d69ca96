/* export_eml.c - the counts as OASIS EML 510 (Count) files, shaped the way
 * the Norwegian national system, EVA Admin (Valgdirektoratet), imports the
 * count files that EVA Skanning delivers.
 *
 *   cnt_export_eml_count, cnt_export_eml_dir
 *
 * Sources, followed as written (read 2026-11; cited by repository/path):
 *
 *  [S1] The OASIS EML v5.0 schema for 510 (Count) and its core:
 *       github.com/ties/kiesraad-ondersteunende_software_verkiezingen,
 *       src/Eml-kiesraad/EML-v5.0-os/510-count-v5-0.xsd and
 *       src/Eml-kiesraad/EML-v5.0-os/emlcore-v5-0.xsd (OASIS Standard,
 *       2007; emlcore's history notes the 'NOR' voting method and WriteIn
 *       added for Norwegian use). Namespace urn:oasis:names:tc:evs:schema:eml,
 *       root EML with Id and SchemaVersion, TransactionId,
 *       ManagingAuthority (AuthorityIdentifier, AuthorityAddress), Count/
 *       EventIdentifier/Election/ElectionIdentifier/Contests/Contest/
 *       ContestIdentifier, CountQualifier (Final, Partial),
 *       ReportingUnitVotes, Selection (AffiliationIdentifier/RegisteredName,
 *       ValidVotes, CountMetric), TotalCounted, RejectedVotes (ReasonCode,
 *       Reason).
 *  [S2] EVA Admin's importer of those files:
 *       github.com/HNygard/election-eva-admin,
 *       admin/admin-backend/src/main/java/no/evote/service/counting/
 *       CountingImportServiceBean.java. It reads, per file named "Count-*":
 *       EML/TransactionId; Count/EventIdentifier/@Id (the election event)
 *       and EventIdentifier/EventQualifier/@Id (the area path below the
 *       event: country.county.municipality.borough.krets);
 *       Election/ElectionIdentifier/@Id and ElectionIdentifier/
 *       ElectionGroup/@Id; the FIRST Contest of Contests with
 *       ContestIdentifier/@Id and CountQualifier/Final ("yes" = final
 *       count); the FIRST ReportingUnitVotes with ReportingUnitIndicator/@Id
 *       ("<election path>-<area path>" of the reporting body, valgstyret),
 *       the first CountMetric/@Id (the counting category: FO, FS, VO, VS,
 *       VB), TotalCounted, every RejectedVotes/@ReasonCode with its number,
 *       and every Selection's AffiliationIdentifier/@Id (the ballot: a list
 *       code, "BLANK" for blank ballots) with ValidVotes and an optional
 *       CountMetric (ballots with changes). Approved + blank = TotalCounted
 *       - sum of RejectedVotes.
 *  [S3] Its test, which builds such files: same repository,
 *       admin/admin-backend/src/test/java/no/valg/eva/admin/counting/
 *       service/impl/CountingImportServiceBeanTest.java (class CountXML):
 *       SchemaVersion "5.0", EventQualifier Id "47.01.0101.010100.0001",
 *       ReportingUnitIndicator Id "01-47.01.0101", CountMetric
 *       Type="vote_count_category" Id="VO" with text 1, AffiliationIdentifier
 *       with RegisteredName, TotalCounted after the Selections.
 *
 * So one file carries ONE election, ONE counting category and ONE krets
 * (the importer reads only the first Contest and ReportingUnitVotes): this
 * export writes a folder of Count-<election>-<category>-<krets>.xml.
 *
 * Choices where the sources are silent or disagree (count/README.md):
 *  - ReportingUnitIndicator, as [S2] reads it, instead of the
 *    ReportingUnitIdentifier that [S1] puts first in ReportingUnitVotes: a
 *    file EVA can import is therefore not valid against the plain OASIS
 *    schema, and the tests check structure by XPath, not by xmllint
 *    --schema (EVA validates against its own copy, not public).
 *  - Blank ballots are the "BLANK" Selection [S2], not UncountedVotes: EVA
 *    counts them inside TotalCounted.
 *  - No TotalVotes: [S1] lets a Contest hold ReportingUnitVotes alone,
 *    and that is what [S3] writes; with one krets per file a TotalVotes
 *    would only repeat it.
 *  - No Selection/CountMetric Type="modified" (ballots with changes, [S2]
 *    [S3]): a counts document does not count changed ballots, so EVA sees
 *    every ballot as unchanged.
 *  - No candidate-level Selection: [S2] takes every Selection's
 *    AffiliationIdentifier as a ballot count, so a candidate Selection
 *    would be counted as ballots. Personal votes and write-ins travel in
 *    EVA as EML 460 Votes files per changed ballot with its image, which a
 *    counts document cannot give; they are in the JSON and CSV exports.
 *  - RejectedVotes/@ReasonCode: EVA's rejection ids are configuration data
 *    not in the sources; [S2] only shows that advance-vote and
 *    election-day reasons are distinct ids. Used: "F" (FO, FS) or "V" (VO,
 *    VS, VB) + the ground letter of valgloven § 10-3 (1) in capitals
 *    ("VA" .. "VD"), with the ground in words in @Reason. One RejectedVotes
 *    per ground, zeros included.
 *  - EventIdentifier/@Id, ElectionGroup/@Id, ContestIdentifier/@Id are EVA
 *    configuration ids: cnt_eml_options (telle export --eva-event ...),
 *    defaults "telle", "01", the area code. The area path is built from
 *    the 4-digit kommunenummer: 47.<first two digits>.<code>.<code>00.
 *    <krets> (the borough of a municipality without boroughs is its
 *    number + "00", as in [S3]).
 *  - ManagingAuthority: AuthorityIdentifier Id = the area code, the area
 *    name as text, and the AuthorityAddress [S1] requires, left empty.
 *  - A count exported while the election is not final gets
 *    CountQualifier/Partial "yes" when batches are still open, and an XML
 *    comment naming why it is not final; Final stays "yes" because the
 *    machine count is EVA's final count (endelig telling), not the
 *    preliminary one (foreløpig telling, done by hand).
 *  - No IssueDate or other clock value: the same counts give the same
 *    bytes. TransactionId is the file's number in the export (1, 2, ...).
 *
 * XML is written here, not with libxml2: the output is a fixed tree of
 * about 30 elements, and escaping (& < > " and the characters XML 1.0
 * cannot carry) is a dozen lines; one dependency fewer in the library. */
#include "count/export.h"
#include "count/export_internal.h"

#include "core/error.h"

#include <errno.h>
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>

static const char *const EML_NS = "urn:oasis:names:tc:evs:schema:eml";

static const char *const GROUND_REASON[4] = {
    "Mangler offentlig stempel (valgloven 10-3 (1) a)",
    "Det fremg\xc3\xa5r ikke hvilket valg stemmeseddelen gjelder "
    "(valgloven 10-3 (1) b)",
    "Det fremg\xc3\xa5r ikke hvilket parti eller gruppe stemmeseddelen "
    "gjelder (valgloven 10-3 (1) c)",
    "Partiet eller gruppen stiller ikke liste i valgdistriktet "
    "(valgloven 10-3 (1) d)",
};

/* Writes s escaped for XML text (attr false) or a double-quoted attribute
 * (attr true). Refuses the control characters XML 1.0 cannot carry;
 * `what` names the field in the message. */
static int put_escaped(FILE *out, const char *s, bool attr, const char *what)
{
    for (const unsigned char *p = (const unsigned char *)s; *p; p++) {
        switch (*p) {
        case '&': fputs("&amp;", out); break;
        case '<': fputs("&lt;", out); break;
        case '>': fputs("&gt;", out); break;
        case '"': fputs(attr ? "&quot;" : "\"", out); break;
        case '\t': fputs(attr ? "&#9;" : "\t", out); break;
        case '\n': fputs(attr ? "&#10;" : "\n", out); break;
        case '\r': fputs("&#13;", out); break;
        default:
            if (*p < 0x20)
                return err_set(TELLE_EINVAL, "%s: control character 0x%02x "
                               "cannot be written in XML", what, *p);
            fputc(*p, out);
        }
    }
    return 0;
}

/* XML Ids here are xs:NMTOKEN: no spaces or ASCII punctuation other than
 * . - _ : (non-ASCII letters are allowed, so "RØDT" is fine). */
static int check_nmtoken(const char *s, const char *what)
{
    if (!*s)
        return err_set(TELLE_EINVAL, "%s: empty, but an EML Id", what);
    for (const unsigned char *p = (const unsigned char *)s; *p; p++)
        if (*p < 0x80 && !(*p >= 'A' && *p <= 'Z') &&
            !(*p >= 'a' && *p <= 'z') && !(*p >= '0' && *p <= '9') &&
            *p != '.' && *p != '-' && *p != '_' && *p != ':')
            return err_set(TELLE_EINVAL, "%s: '%s' has '%c', not allowed in "
                           "an EML Id (xs:NMTOKEN)", what, s, *p);
    return 0;
}

typedef struct {
    FILE *out;
    int rc;
} xw;

static void text(xw *w, const char *s, const char *what)
{
    if (w->rc == 0)
        w->rc = put_escaped(w->out, s, false, what);
}

static void attr(xw *w, const char *name, const char *s, const char *what)
{
    if (w->rc != 0)
        return;
    fprintf(w->out, " %s=\"", name);
    w->rc = put_escaped(w->out, s, true, what);
    fputc('"', w->out);
}

/* <name Id="id">text</name> with an optional RegisteredName-style child:
 * child NULL writes the text directly. */
static void id_element(xw *w, const char *indent, const char *name,
                       const char *id, const char *child, const char *value,
                       const char *what)
{
    fprintf(w->out, "%s<%s", indent, name);
    attr(w, "Id", id, what);
    if (!child) {
        fputs(">", w->out);
        text(w, value, what);
        fprintf(w->out, "</%s>\n", name);
    } else {
        fprintf(w->out, "><%s>", child);
        text(w, value, what);
        fprintf(w->out, "</%s></%s>\n", child, name);
    }
}

static int write_count(FILE *out, const json_t *doc, const json_t *el,
                       const json_t *count, unsigned transaction,
                       const cnt_eml_options *opt)
{
    const json_t *area = json_object_get(doc, "area");
    const char *code = cnt_export_str(area, "code");
    const char *area_name = cnt_export_str(area, "name");
    const char *eid = cnt_export_str(el, "id");
    const char *category = cnt_export_str(count, "category");
    const char *krets = cnt_export_str(count, "krets");
    int rc;

    if (strlen(code) != 4 || strspn(code, "0123456789") != 4)
        return err_set(TELLE_EINVAL, "area.code: '%s' is not a 4-digit "
                       "kommunenummer, which EML area paths are made of",
                       code);
    const char *event_id = opt && opt->event_id ? opt->event_id : "telle";
    const char *group = opt && opt->election_group ? opt->election_group
                                                   : "01";
    const char *contest = opt && opt->contest_id ? opt->contest_id : code;
    const char *country = opt && opt->country ? opt->country : "47";
    if ((rc = check_nmtoken(event_id, "EML event id")) < 0 ||
        (rc = check_nmtoken(group, "EML election group")) < 0 ||
        (rc = check_nmtoken(contest, "EML contest id")) < 0 ||
        (rc = check_nmtoken(country, "EML country")) < 0 ||
        (rc = check_nmtoken(eid, "election id")) < 0 ||
        (rc = check_nmtoken(krets, "krets")) < 0)
        return rc;
    size_t i;
    json_t *l;
    json_array_foreach(json_object_get(el, "lists"), i, l)
        if ((rc = check_nmtoken(cnt_export_str(l, "code"), "list code")) < 0)
            return rc;

    char municipality[64], district[128], unit[128];
    snprintf(municipality, sizeof municipality, "%s.%.2s.%s", country, code,
             code);
    snprintf(district, sizeof district, "%s.%s00.%s", municipality, code,
             krets);
    snprintf(unit, sizeof unit, "%s-%s", group, municipality);
    bool early = category[0] == 'F';
    bool final = cnt_export_election_final(el);
    bool open = json_array_size(json_object_get(el, "open_batches")) > 0;

    xw w = {out, 0};
    fprintf(out, "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n");
    if (!final) {
        char *why = NULL;
        if ((rc = cnt_counts_not_final(&why, doc, eid)) < 0)
            return rc;
        fputs("<!-- PRELIMINARY EXPORT: this count is not final.\n", out);
        /* "--" may not occur in a comment; reasons never hold it, but a
         * batch id could: write it as "- -". */
        for (const char *p = why ? why : ""; *p; p++) {
            fputc(*p, out);
            if (p[0] == '-' && p[1] == '-')
                fputc(' ', out);
        }
        fputs("-->\n", out);
        free(why);
    }
    fprintf(out, "<EML xmlns=\"%s\" Id=\"510\" SchemaVersion=\"5.0\">\n",
            EML_NS);
    fprintf(out, "  <TransactionId>%u</TransactionId>\n", transaction);
    fputs("  <ManagingAuthority>\n", out);
    id_element(&w, "    ", "AuthorityIdentifier", code, NULL, area_name,
               "area.name");
    fputs("    <AuthorityAddress/>\n  </ManagingAuthority>\n", out);
    fputs("  <Count>\n    <EventIdentifier", out);
    attr(&w, "Id", event_id, "EML event id");
    fputs("><EventName>", out);
    text(&w, cnt_export_str(doc, "event"), "event");
    fputs("</EventName><EventQualifier", out);
    attr(&w, "Id", district, "krets");
    fputs("/></EventIdentifier>\n    <Election>\n      <ElectionIdentifier",
          out);
    attr(&w, "Id", eid, "election id");
    fputs("><ElectionName>", out);
    text(&w, cnt_export_str(el, "name"), "election name");
    fputs("</ElectionName><ElectionGroup", out);
    attr(&w, "Id", group, "EML election group");
    fputs("/><ElectionCategory>", out);
    text(&w, cnt_export_str(el, "type"), "election type");
    fputs("</ElectionCategory></ElectionIdentifier>\n", out);
    fputs("      <Contests>\n        <Contest>\n", out);
    fputs("          <ContestIdentifier", out);
    attr(&w, "Id", contest, "EML contest id");
    fputs("><ContestName>", out);
    text(&w, area_name, "area.name");
    fputs("</ContestName></ContestIdentifier>\n", out);
    fprintf(out, "          <CountQualifier><Final>yes</Final>%s"
            "</CountQualifier>\n", open ? "<Partial>yes</Partial>" : "");
    fputs("          <ReportingUnitVotes>\n", out);
    fputs("            <ReportingUnitIndicator", out);
    attr(&w, "Id", unit, "reporting unit");
    fputs("/>\n", out);
    fprintf(out, "            <CountMetric Type=\"vote_count_category\" "
            "Id=\"%s\">1</CountMetric>\n", category);

    const json_t *lists = json_object_get(count, "lists");
    json_array_foreach(json_object_get(el, "lists"), i, l) {
        const char *lc = cnt_export_str(l, "code");
        fputs("            <Selection>", out);
        id_element(&w, "", "AffiliationIdentifier", lc, "RegisteredName",
                   cnt_export_str(l, "name"), "list name");
        fprintf(out, "              <ValidVotes>%" JSON_INTEGER_FORMAT
                "</ValidVotes></Selection>\n",
                cnt_export_int(json_object_get(lists, lc), "approved"));
    }
    fputs("            <Selection>", out);
    id_element(&w, "", "AffiliationIdentifier", "BLANK", "RegisteredName",
               "Blanke stemmesedler", "blank");
    fprintf(out, "              <ValidVotes>%" JSON_INTEGER_FORMAT
            "</ValidVotes></Selection>\n", cnt_export_int(count, "blank"));
    fprintf(out, "            <TotalCounted>%" JSON_INTEGER_FORMAT
            "</TotalCounted>\n", cnt_export_int(count, "ballots"));
    const json_t *rbg = json_object_get(count, "rejected_by_ground");
    static const char *const grounds[4] = {"a", "b", "c", "d"};
    for (size_t g = 0; g < 4; g++) {
        fprintf(out, "            <RejectedVotes ReasonCode=\"%c%c\"",
                early ? 'F' : 'V', 'A' + (int)g);
        attr(&w, "Reason", GROUND_REASON[g], "reason");
        fprintf(out, ">%" JSON_INTEGER_FORMAT "</RejectedVotes>\n",
                cnt_export_int(rbg, grounds[g]));
    }
    fputs("          </ReportingUnitVotes>\n        </Contest>\n"
          "      </Contests>\n    </Election>\n  </Count>\n</EML>\n", out);
    return w.rc;
}

int cnt_export_eml_count(char **xml, const json_t *doc, size_t election_index,
                         size_t count_index, unsigned transaction,
                         const cnt_eml_options *opt)
{
    *xml = NULL;
    const json_t *el = json_array_get(json_object_get(doc, "elections"),
                                      election_index);
    const json_t *count = json_array_get(json_object_get(el, "counts"),
                                         count_index);
    if (!el || !count)
        return err_set(TELLE_EINVAL, "elections[%zu].counts[%zu]: no such "
                       "count", election_index, count_index);
    if (transaction == 0)
        return err_set(TELLE_EINVAL, "TransactionId must be >= 1");
    char *buf = NULL;
    size_t len = 0;
    FILE *m = open_memstream(&buf, &len);
    if (!m)
        return err_set(TELLE_ENOMEM, "out of memory");
    int rc = write_count(m, doc, el, count, transaction, opt);
    if (fclose(m) != 0 && rc == 0)
        rc = err_set(TELLE_ENOMEM, "out of memory");
    if (rc < 0) {
        free(buf);
        return err_prefix("elections[%zu].counts[%zu]: ", election_index,
                          count_index);
    }
    *xml = buf;
    return 0;
}

int cnt_export_eml_dir(size_t *n_files, const char *dir, const json_t *doc,
                       const char *election, const cnt_eml_options *opt)
{
    if (n_files)
        *n_files = 0;
    size_t only = 0;
    int rc;
    if (election && (rc = cnt_export_find_election(&only, doc, election)) < 0)
        return rc;
    unsigned transaction = 0;
    size_t i;
    json_t *el;
    json_array_foreach(json_object_get(doc, "elections"), i, el) {
        if (election && i != only)
            continue;
        size_t k;
        json_t *count;
        json_array_foreach(json_object_get(el, "counts"), k, count) {
            char *xml = NULL;
            if ((rc = cnt_export_eml_count(&xml, doc, i, k, ++transaction,
                                           opt)) < 0)
                return rc;
            char path[4096];
            int n = snprintf(path, sizeof path, "%s/Count-%s-%s-%s.xml", dir,
                             cnt_export_str(el, "id"),
                             cnt_export_str(count, "category"),
                             cnt_export_str(count, "krets"));
            if (n < 0 || (size_t)n >= sizeof path) {
                free(xml);
                return err_set(TELLE_EINVAL, "%s: folder name too long", dir);
            }
            FILE *f = fopen(path, "wb");
            if (!f) {
                rc = err_set(TELLE_EIO, "%s: %s", path, strerror(errno));
                free(xml);
                return rc;
            }
            size_t len = strlen(xml);
            bool ok = fwrite(xml, 1, len, f) == len;
            ok = (fclose(f) == 0) && ok;
            free(xml);
            if (!ok)
                return err_set(TELLE_EIO, "%s: write failed", path);
            if (n_files)
                (*n_files)++;
        }
    }
    return 0;
}
