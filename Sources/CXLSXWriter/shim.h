#ifndef CXLSXWRITER_SHIM_H
#define CXLSXWRITER_SHIM_H
#include <stdio.h>
#include <xlsxwriter.h>

/* Frees a workbook WITHOUT writing it (the error path of the Swift owner's deinit).
 * lxw_workbook_free alone leaves each constant-memory worksheet's temporary FILE open
 * (checked on libxlsxwriter 1.1.4: two sheets leak two descriptors), so close those first. */
static inline void cxlsx_workbook_discard(lxw_workbook *workbook) {
    lxw_worksheet *worksheet;
    if (!workbook) return;
    if (workbook->worksheets) {
        STAILQ_FOREACH(worksheet, workbook->worksheets, list_pointers) {
            if (worksheet->optimize_tmpfile) {
                fclose(worksheet->optimize_tmpfile);
                worksheet->optimize_tmpfile = NULL;
                worksheet->file = NULL;
            }
        }
    }
    lxw_workbook_free(workbook);
}

#endif
