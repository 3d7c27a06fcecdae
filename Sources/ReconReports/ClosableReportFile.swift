/// A report file being written: complete only once closed.
protocol ClosableReportFile: ~Copyable {
    /// Finishes the file; throws when it could not be completed.
    consuming func close() throws(ReportError)
}

extension CSVWriter: ClosableReportFile {}
extension XLSXWorkbook: ClosableReportFile {}

/// Runs `body` with `file` and closes it afterwards; if `body` throws, `file` is dropped unclosed.
func withClosing<File: ClosableReportFile & ~Copyable, Result>(
    _ file: consuming File, _ body: (inout File) throws -> Result
) throws -> Result {
    var file = file
    let result = try body(&file)
    try file.close()
    return result
}
