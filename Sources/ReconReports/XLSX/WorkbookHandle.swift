internal import CXLSXWriter
internal import Foundation

/// The single owner of an `lxw_workbook*`: `close()` writes and frees it, `deinit` only frees it.
///
/// `workbook_close` writes the file *and* frees the workbook, so it must run exactly once; a consuming
/// `close()` with `discard self` makes a second call or a double free impossible.
struct WorkbookHandle: ~Copyable {
    let pointer: UnsafeMutablePointer<lxw_workbook>

    init(_ pointer: UnsafeMutablePointer<lxw_workbook>) {
        self.pointer = pointer
    }

    /// Writes the file and frees the workbook; returns libxlsxwriter's result and the `errno` it left.
    consuming func close() -> (result: lxw_error, systemError: Int32) {
        let pointer = self.pointer
        discard self
        errno = 0
        let result = workbook_close(pointer)
        return (result, errno)
    }

    /// A workbook dropped without `close()` (an error path) is freed without being written:
    /// no half-written report appears under the final name.
    deinit {
        cxlsx_workbook_discard(pointer)
    }
}

/// The one place every libxlsxwriter return code is checked; throws with the library's own message.
@inline(__always)
func checkXLSX(
    _ result: lxw_error, _ operation: StaticString, path: String, row: UInt32? = nil, column: UInt16? = nil,
    systemError: Int32? = nil
) throws(ReportError) {
    if result == LXW_NO_ERROR { return }
    throw xlsxFailure(result, operation, path: path, row: row, column: column, systemError: systemError ?? errno)
}

@inline(never)
private func xlsxFailure(
    _ result: lxw_error, _ operation: StaticString, path: String, row: UInt32?, column: UInt16?, systemError: Int32
) -> ReportError {
    var message = lxw_strerror(result).map { String(cString: $0) } ?? "libxlsxwriter error \(result.rawValue)"
    let code: ReportError.Code
    switch result {
    case LXW_ERROR_SHEETNAME_LENGTH_EXCEEDED, LXW_ERROR_INVALID_SHEETNAME_CHARACTER,
        LXW_ERROR_SHEETNAME_START_END_APOSTROPHE, LXW_ERROR_SHEETNAME_ALREADY_USED:
        code = .invalidSheetName
    case LXW_ERROR_CREATING_XLSX_FILE, LXW_ERROR_CREATING_TMPFILE, LXW_ERROR_READING_TMPFILE,
        LXW_ERROR_ZIP_FILE_OPERATION:
        code = .io
        // libxlsxwriter's text guesses ("usually a permissions error"); the system says what happened.
        if systemError != 0 { message += " System error: \(systemErrorText(systemError))." }
    default:
        code = .library
    }
    return ReportError(
        code: code, operation: "\(operation)", message: message, path: path, row: row, column: column,
        underlyingCode: Int32(bitPattern: result.rawValue))
}

/// `strerror` text for an `errno` value.
func systemErrorText(_ code: Int32) -> String {
    strerror(code).map { String(cString: $0) } ?? "errno \(code)"
}
