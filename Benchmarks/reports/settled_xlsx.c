/*
 * Baseline for the reports benchmark: a plain C program that writes the same Settled sheet as
 * `mpesa-recon report --format xlsx` with libxlsxwriter in constant-memory mode.
 *
 * It runs the same SELECT (settled.sql) over libpq in single-row mode, as mpesa-recon does, and writes
 * the same cells with the same formats: bold header, frozen pane, autofilter, column widths, typed
 * cells (East Africa Time date-times, money as numbers with #,##0.00, whole numbers with 0), phone
 * numbers masked as 2547****1234, receipt "pending" when missing, a SUBTOTAL totals row with its value
 * stored, and document properties. Like mpesa-recon it first counts the rows: in constant-memory mode
 * the autofilter range must be known before the rows are written.
 *
 * Build: gcc -O2 -o settled_xlsx settled_xlsx.c $(pkg-config --cflags --libs xlsxwriter libpq)
 * Usage: settled_xlsx CONNINFO settled.sql OUT.xlsx
 */
#include <libpq-fe.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <xlsxwriter.h>

static void die(const char *what, const char *message) {
    fprintf(stderr, "settled_xlsx: %s: %s\n", what, message);
    exit(1);
}

static void check(lxw_error error, const char *what) {
    if (error != LXW_NO_ERROR) die(what, lxw_strerror(error));
}

static char *read_file(const char *path) {
    FILE *file = fopen(path, "rb");
    if (!file) die("open", path);
    if (fseek(file, 0, SEEK_END) != 0) die("seek", path);
    long size = ftell(file);
    if (size < 0 || fseek(file, 0, SEEK_SET) != 0) die("seek", path);
    char *text = malloc((size_t)size + 1);
    if (!text || fread(text, 1, (size_t)size, file) != (size_t)size) die("read", path);
    text[size] = '\0';
    fclose(file);
    return text;
}

/* Days since 1970-01-01 of a civil date (Howard Hinnant's days_from_civil). */
static int64_t days_from_civil(int64_t y, int64_t m, int64_t d) {
    y -= m <= 2;
    int64_t era = (y >= 0 ? y : y - 399) / 400;
    int64_t yoe = y - era * 400;
    int64_t doy = (153 * (m > 2 ? m - 3 : m + 9) + 2) / 5 + d - 1;
    int64_t doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
    return era * 146097 + doe - 719468;
}

/* "2026-11-28 06:35:54.5+00" (session TimeZone UTC) -> Unix seconds, fraction dropped. */
static int64_t parse_utc(const char *text) {
    int y, mo, d, h, mi, s;
    if (sscanf(text, "%4d-%2d-%2d %2d:%2d:%2d", &y, &mo, &d, &h, &mi, &s) != 6) die("timestamp", text);
    return days_from_civil(y, mo, d) * 86400 + h * 3600 + mi * 60 + s;
}

/* "1234.5" / "1234.56" -> cents, exactly. */
static int64_t parse_cents(const char *text) {
    int64_t whole = 0, cents = 0;
    int negative = *text == '-', digits = 0;
    if (negative) text++;
    for (; *text >= '0' && *text <= '9'; text++) whole = whole * 10 + (*text - '0');
    if (*text == '.') {
        for (text++; *text >= '0' && *text <= '9' && digits < 2; text++, digits++) cents = cents * 10 + (*text - '0');
    }
    if (digits == 1) cents *= 10;
    return (negative ? -1 : 1) * (whole * 100 + cents);
}

/* Characters, not bytes: UTF-8 continuation bytes do not count (mpesa-recon counts Swift Characters). */
static size_t utf8_length(const char *text) {
    size_t count = 0;
    for (; *text; text++) {
        if (((unsigned char)*text & 0xC0) != 0x80) count++;
    }
    return count;
}

/* How many lines text takes when it wraps in a column of `width` (mpesa-recon's ReportColumn.lines). */
static int wrapped_lines(const char *text, int width) {
    int per_line = width + width / 4 - 1;
    if (per_line < 1) per_line = 1;
    int lines = ((int)utf8_length(text) + per_line - 1) / per_line;
    return lines < 1 ? 1 : lines;
}

/* Points for a row of `lines` lines, capped at 8 (mpesa-recon's ReportColumn.rowHeight). */
static double row_height(int lines) { return (double)(lines < 8 ? lines : 8) * 15; }

int main(int argc, char **argv) {
    if (argc != 4) die("usage", "settled_xlsx CONNINFO settled.sql OUT.xlsx");
    char *sql = read_file(argv[2]);
    PGconn *db = PQconnectdb(argv[1]);
    if (PQstatus(db) != CONNECTION_OK) die("connect", PQerrorMessage(db));
    PGresult *set = PQexec(db, "SET TimeZone = 'UTC'");
    if (PQresultStatus(set) != PGRES_COMMAND_OK) die("set", PQerrorMessage(db));
    PQclear(set);

    size_t count_length = strlen(sql) + 64;
    char *count_sql = malloc(count_length);
    if (!count_sql) die("malloc", "count");
    snprintf(count_sql, count_length, "SELECT count(*) FROM (%s) q", sql);
    PGresult *counted = PQexec(db, count_sql);
    if (PQresultStatus(counted) != PGRES_TUPLES_OK) die("count", PQerrorMessage(db));
    long rows = strtol(PQgetvalue(counted, 0, 0), NULL, 10);
    PQclear(counted);
    if (rows > 1048574) die("rows", "more rows than a worksheet holds");

    lxw_workbook_options options = {.constant_memory = LXW_TRUE, .tmpdir = NULL, .use_zip64 = LXW_FALSE};
    lxw_workbook *workbook = workbook_new_opt(argv[3], &options);
    if (!workbook) die("workbook_new", argv[3]);
    /* The same formats, created in the same order, as mpesa-recon's FormatTable. */
    lxw_format *header = workbook_add_format(workbook);
    format_set_bold(header);
    format_set_bottom(header, LXW_BORDER_THIN);
    format_set_text_wrap(header);
    format_set_align(header, LXW_ALIGN_VERTICAL_BOTTOM);
    lxw_format *integer = workbook_add_format(workbook);
    format_set_num_format(integer, "0");
    lxw_format *integer_total = workbook_add_format(workbook);
    format_set_num_format(integer_total, "0");
    format_set_bold(integer_total);
    format_set_top(integer_total, LXW_BORDER_THIN);
    lxw_format *money = workbook_add_format(workbook);
    format_set_num_format(money, "#,##0.00");
    lxw_format *money_total = workbook_add_format(workbook);
    format_set_num_format(money_total, "#,##0.00");
    format_set_bold(money_total);
    format_set_top(money_total, LXW_BORDER_THIN);
    lxw_format *date = workbook_add_format(workbook);
    format_set_num_format(date, "yyyy-mm-dd");
    lxw_format *date_time = workbook_add_format(workbook);
    format_set_num_format(date_time, "yyyy-mm-dd hh:mm:ss");
    lxw_format *wrapped = workbook_add_format(workbook);
    format_set_text_wrap(wrapped);
    format_set_align(wrapped, LXW_ALIGN_VERTICAL_BOTTOM);

    lxw_doc_properties properties = {
        .title = "M-Pesa report 2026-11-28 to 2026-11-29",
        .subject = "Settled payments, exceptions, refunds, pending",
        .author = "mpesa-recon",
        .comments = "Period 2026-11-28 to 2026-11-29, both days included. Times are East Africa Time (UTC+3). "
                    "Phone numbers masked.",
    };
    check(workbook_set_properties(workbook, &properties), "workbook_set_properties");

    lxw_worksheet *sheet = workbook_add_worksheet(workbook, "Settled");
    if (!sheet) die("workbook_add_worksheet", "Settled");
    static const char *titles[] = {"M-Pesa receipt", "Paid at (EAT)", "Payment", "Learner ID", "Learner",
                                   "Course ID", "Course", "Amount (KES)", "Phone", "CheckoutRequestID",
                                   "Settled via", "Enrollment", "Enrollment status"};
    /* mpesa-recon's bounded widths: numbers and dates as wide as their values, text wrapping within 18. */
    static const int widths[] = {14, 17, 8, 8, 18, 8, 18, 13, 15, 18, 11, 8, 17};
    for (lxw_col_t column = 0; column < 13; column++) {
        check(worksheet_set_column(sheet, column, column, widths[column], NULL), "worksheet_set_column");
    }
    /* The same page setup: landscape A4, one page wide, header row repeated, header and footer. */
    worksheet_set_landscape(sheet);
    worksheet_set_paper(sheet, 9);
    worksheet_set_margins(sheet, 0.4, 0.4, 0.6, 0.6);
    worksheet_fit_to_pages(sheet, 1, 0);
    check(worksheet_repeat_rows(sheet, 0, 0), "worksheet_repeat_rows");
    check(worksheet_set_header(sheet, "&C&\"Calibri,Bold\"M-Pesa report: Settled, 2026-11-28 to 2026-11-29 (EAT)"),
          "worksheet_set_header");
    check(worksheet_set_footer(
              sheet, "&Lmpesa-recon, period 2026-11-28 to 2026-11-29, phone numbers masked&RPage &P of &N"),
          "worksheet_set_footer");
    worksheet_freeze_panes(sheet, 1, 0);
    check(worksheet_autofilter(sheet, 0, 0, (lxw_row_t)rows, 12), "worksheet_autofilter");
    /* Headers wrap: the header row is as tall as its longest title's lines. */
    int header_lines = 1;
    for (lxw_col_t column = 0; column < 13; column++) {
        int per_line = widths[column] - 2 > 0 ? widths[column] - 2 : 1;
        int lines = ((int)utf8_length(titles[column]) + per_line - 1) / per_line;
        if (lines > header_lines) header_lines = lines;
    }
    if (header_lines > 1) check(worksheet_set_row(sheet, 0, row_height(header_lines), NULL), "worksheet_set_row");
    for (lxw_col_t column = 0; column < 13; column++) {
        check(worksheet_write_string(sheet, 0, column, titles[column], header), "write header");
    }

    if (!PQsendQuery(db, sql)) die("send", PQerrorMessage(db));
    if (!PQsetSingleRowMode(db)) die("single-row mode", PQerrorMessage(db));
    lxw_row_t row = 0;
    int64_t total_cents = 0;
    char phone[32];
    PGresult *result;
    while ((result = PQgetResult(db)) != NULL) {
        ExecStatusType status = PQresultStatus(result);
        if (status == PGRES_TUPLES_OK) {
            PQclear(result);
            continue;
        }
        if (status != PGRES_SINGLE_TUPLE) die("query", PQresultErrorMessage(result));
        row++;
        /* Text in the wrapping columns (learner, course, CheckoutRequestID, enrollment status) sets the row height. */
        const char *enrollment = PQgetisnull(result, 0, 12) ? "none" : PQgetvalue(result, 0, 12);
        int lines = wrapped_lines(PQgetvalue(result, 0, 4), 18);
        int course_lines = wrapped_lines(PQgetvalue(result, 0, 6), 18);
        if (course_lines > lines) lines = course_lines;
        if (!PQgetisnull(result, 0, 9)) {
            int checkout_lines = wrapped_lines(PQgetvalue(result, 0, 9), 18);
            if (checkout_lines > lines) lines = checkout_lines;
        }
        int enrollment_lines = wrapped_lines(enrollment, 17);
        if (enrollment_lines > lines) lines = enrollment_lines;
        if (lines > 1) check(worksheet_set_row(sheet, row, row_height(lines), NULL), "worksheet_set_row");
        const char *receipt = PQgetisnull(result, 0, 0) ? "pending" : PQgetvalue(result, 0, 0);
        check(worksheet_write_string(sheet, row, 0, receipt, NULL), "write");
        check(worksheet_write_unixtime(sheet, row, 1, parse_utc(PQgetvalue(result, 0, 1)) + 10800, date_time),
              "write");
        check(worksheet_write_number(sheet, row, 2, (double)strtoll(PQgetvalue(result, 0, 2), NULL, 10), integer),
              "write");
        check(worksheet_write_number(sheet, row, 3, (double)strtoll(PQgetvalue(result, 0, 3), NULL, 10), integer),
              "write");
        check(worksheet_write_string(sheet, row, 4, PQgetvalue(result, 0, 4), wrapped), "write");
        check(worksheet_write_number(sheet, row, 5, (double)strtoll(PQgetvalue(result, 0, 5), NULL, 10), integer),
              "write");
        check(worksheet_write_string(sheet, row, 6, PQgetvalue(result, 0, 6), wrapped), "write");
        int64_t cents = parse_cents(PQgetvalue(result, 0, 7));
        total_cents += cents;
        check(worksheet_write_number(sheet, row, 7, (double)cents / 100, money), "write");
        const char *digits = PQgetvalue(result, 0, 8);
        size_t length = strlen(digits);
        if (length > 8) {
            snprintf(phone, sizeof phone, "%.4s****%s", digits, digits + length - 4);
        } else {
            snprintf(phone, sizeof phone, "%.*s", (int)length, "************");
        }
        check(worksheet_write_string(sheet, row, 8, phone, NULL), "write");
        if (!PQgetisnull(result, 0, 9)) {
            check(worksheet_write_string(sheet, row, 9, PQgetvalue(result, 0, 9), wrapped), "write");
        }
        check(worksheet_write_string(sheet, row, 10, PQgetvalue(result, 0, 10), NULL), "write");
        if (!PQgetisnull(result, 0, 11)) {
            check(worksheet_write_number(sheet, row, 11, (double)strtoll(PQgetvalue(result, 0, 11), NULL, 10),
                                         integer),
                  "write");
        }
        check(worksheet_write_string(sheet, row, 12, enrollment, wrapped), "write");
        PQclear(result);
    }
    if ((long)row != rows) die("rows", "the count and the rows disagree");

    lxw_row_t total_row = row + 1;
    check(worksheet_write_string(sheet, total_row, 0, "Total", header), "write total");
    if (row == 0) {
        check(worksheet_write_number(sheet, total_row, 7, 0, money_total), "write total");
    } else {
        char formula[64];
        snprintf(formula, sizeof formula, "SUBTOTAL(9,H2:H%u)", (unsigned)(row + 1));
        check(worksheet_write_formula_num(sheet, total_row, 7, formula, money_total, (double)total_cents / 100),
              "write total");
    }
    check(workbook_close(workbook), "workbook_close");
    PQfinish(db);
    free(count_sql);
    free(sql);
    printf("%u rows, total %lld.%02lld\n", (unsigned)row, (long long)(total_cents / 100),
           (long long)(total_cents % 100));
    return 0;
}
