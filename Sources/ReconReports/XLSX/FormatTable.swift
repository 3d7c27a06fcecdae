internal import CXLSXWriter

/// The workbook's formats, made once when it is created; libxlsxwriter owns and frees them with the workbook.
struct FormatTable {
    private let header: UnsafeMutablePointer<lxw_format>
    private let integer: UnsafeMutablePointer<lxw_format>
    private let integerTotal: UnsafeMutablePointer<lxw_format>
    private let money: UnsafeMutablePointer<lxw_format>
    private let moneyTotal: UnsafeMutablePointer<lxw_format>
    private let date: UnsafeMutablePointer<lxw_format>
    private let dateTime: UnsafeMutablePointer<lxw_format>
    private let wrappedText: UnsafeMutablePointer<lxw_format>

    static let moneyNumberFormat = "#,##0.00"
    static let integerNumberFormat = "0"
    static let dateNumberFormat = "yyyy-mm-dd"
    static let dateTimeNumberFormat = "yyyy-mm-dd hh:mm:ss"

    init(workbook: UnsafeMutablePointer<lxw_workbook>, path: String) throws(ReportError) {
        func make(
            _ numberFormat: String?, bold: Bool = false, topBorder: Bool = false, bottomBorder: Bool = false,
            wrap: Bool = false
        ) throws(ReportError) -> UnsafeMutablePointer<lxw_format> {
            guard let format = workbook_add_format(workbook) else {
                throw ReportError(
                    code: .library, operation: "workbook_add_format", message: "libxlsxwriter could not allocate",
                    path: path)
            }
            if let numberFormat { numberFormat.withCString { format_set_num_format(format, $0) } }
            if bold { format_set_bold(format) }
            if topBorder { format_set_top(format, UInt8(LXW_BORDER_THIN.rawValue)) }
            if bottomBorder { format_set_bottom(format, UInt8(LXW_BORDER_THIN.rawValue)) }
            if wrap {
                format_set_text_wrap(format)
                // Bottom, like every other cell, so a row's values line up whatever wraps.
                format_set_align(format, UInt8(LXW_ALIGN_VERTICAL_BOTTOM.rawValue))
            }
            return format
        }
        // Headers wrap too, so a long title never widens its column or is cut off on paper.
        header = try make(nil, bold: true, bottomBorder: true, wrap: true)
        integer = try make(Self.integerNumberFormat)
        integerTotal = try make(Self.integerNumberFormat, bold: true, topBorder: true)
        money = try make(Self.moneyNumberFormat)
        moneyTotal = try make(Self.moneyNumberFormat, bold: true, topBorder: true)
        date = try make(Self.dateNumberFormat)
        dateTime = try make(Self.dateTimeNumberFormat)
        wrappedText = try make(nil, wrap: true)
    }

    /// The C format for a cell; `.text` is libxlsxwriter's default (`NULL`).
    @inline(__always)
    func pointer(_ format: XLSXFormat) -> UnsafeMutablePointer<lxw_format>? {
        switch format {
        case .text: nil
        case .header: header
        case .integer: integer
        case .integerTotal: integerTotal
        case .money: money
        case .moneyTotal: moneyTotal
        case .date: date
        case .dateTime: dateTime
        case .wrappedText: wrappedText
        }
    }
}
