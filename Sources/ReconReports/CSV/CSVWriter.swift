internal import Foundation
internal import ReconCore

/// Streams an RFC 4180 CSV file (UTF-8, CRLF line ends) through a buffer; owns the file descriptor.
///
/// `close()` flushes and reports any write error (a full disk, say). A writer dropped without `close()`
/// closes its descriptor and discards what was still buffered: the file is then incomplete and must
/// not be published. After any error the writer refuses further rows and `close()` throws again.
public struct CSVWriter: ~Copyable {
    private var descriptor: Int32
    private let buffer: UnsafeMutableRawPointer
    private let capacity: Int
    private var count = 0
    /// The first failure; once set, nothing more is written.
    private var failure: ReportError?
    private let syncOnClose: Bool
    private let dateTimeStyle: CSVDateTimeStyle
    /// The file being written.
    public let path: String
    /// Rows written so far.
    public private(set) var rowCount = 0

    /// The longest field written without a capacity check per byte: an ISO 8601 time or an Int64.
    private static let longestFixedField = 25

    /// Creates or truncates the file at `path`.
    public init(path: String, options: CSVOptions = CSVOptions()) throws(ReportError) {
        guard !path.isEmpty, !path.utf8.contains(0) else {
            throw ReportError(code: .invalidArgument, operation: "open", message: "the path is empty or contains NUL")
        }
        let descriptor = open(path, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0o600)
        guard descriptor >= 0 else {
            let system = errno
            throw ReportError(
                code: .io, operation: "open", message: systemErrorText(system), path: path, underlyingCode: system)
        }
        self.descriptor = descriptor
        self.capacity = max(options.bufferCapacity, 64)
        self.buffer = UnsafeMutableRawPointer.allocate(byteCount: capacity, alignment: 16)
        self.syncOnClose = options.syncOnClose
        self.dateTimeStyle = options.dateTimeStyle
        self.path = path
        if options.byteOrderMark {
            for byte: UInt8 in [0xEF, 0xBB, 0xBF] { put(byte) }
        }
    }

    deinit {
        if descriptor >= 0 { _ = Foundation.close(descriptor) }
        buffer.deallocate()
    }

    /// Writes one row and its CRLF.
    public mutating func writeRow(_ fields: [CSVField]) throws(ReportError) {
        if let failure { throw failure }
        for (column, field) in fields.enumerated() {
            if column > 0 { put(UInt8(ascii: ",")) }
            switch field {
            case .text(let text):
                putText(text)
            case .integer(let value):
                reserve(Self.longestFixedField)
                if value < 0 { putReserved(UInt8(ascii: "-")) }
                putDigits(value.magnitude)
            case .money(let money):
                putMoney(money)
            case .dateTime(let date):
                let seconds: Int64
                do {
                    seconds = try EastAfricaTime.unixSeconds(date, operation: "write")
                } catch {
                    // The row is half written: refuse the rest rather than leave a short row in a report.
                    var error = error
                    error.path = path
                    error.row = UInt32(clamping: rowCount)
                    error.column = UInt16(clamping: column)
                    failure = error
                    throw error
                }
                reserve(EastAfricaTime.iso8601Length)
                switch dateTimeStyle {
                case .iso8601: count += EastAfricaTime.writeISO8601(unixSeconds: seconds, to: buffer + count)
                case .spreadsheet: count += EastAfricaTime.writeLocal(unixSeconds: seconds, to: buffer + count)
                }
            case .date(let day):
                reserve(10)
                count += EastAfricaTime.writeDate(day, to: buffer + count)
            case .empty:
                break
            }
        }
        put(UInt8(ascii: "\r"))
        put(UInt8(ascii: "\n"))
        if let failure { throw failure }
        rowCount += 1
    }

    /// Flushes, optionally syncs, and closes the file; throws the first error of the writer's life.
    public consuming func close() throws(ReportError) {
        if failure == nil { flush() }
        if failure == nil, syncOnClose, fsync(descriptor) != 0 { fail("fsync") }
        let closing = descriptor
        descriptor = -1
        // close(2) can be the first to report a failed write (NFS, quotas), so its result counts.
        if Foundation.close(closing) != 0, failure == nil { fail("close") }
        if let failure { throw failure }
    }

    // MARK: - Encoding

    /// Neutralises formula starters and quotes as RFC 4180 requires.
    private mutating func putText(_ text: String) {
        var text = text
        text.withUTF8 { bytes in
            guard let first = bytes.first else { return }
            let neutralise =
                first == UInt8(ascii: "=") || first == UInt8(ascii: "+") || first == UInt8(ascii: "-")
                || first == UInt8(ascii: "@") || first == UInt8(ascii: "\t") || first == UInt8(ascii: "\r")
            let needsQuotes = bytes.contains {
                $0 == UInt8(ascii: ",") || $0 == UInt8(ascii: "\"") || $0 == UInt8(ascii: "\r")
                    || $0 == UInt8(ascii: "\n")
            }
            if needsQuotes { put(UInt8(ascii: "\"")) }
            if neutralise { put(UInt8(ascii: "'")) }
            guard needsQuotes else {
                put(UnsafeRawBufferPointer(bytes))
                return
            }
            // Copy runs between quotes in bulk, doubling each quote.
            var rest = bytes[...]
            while let quote = rest.firstIndex(of: UInt8(ascii: "\"")) {
                put(UnsafeRawBufferPointer(UnsafeBufferPointer(rebasing: rest[...quote])))
                put(UInt8(ascii: "\""))
                rest = rest[(quote + 1)...]
            }
            put(UnsafeRawBufferPointer(UnsafeBufferPointer(rebasing: rest)))
            put(UInt8(ascii: "\""))
        }
    }

    /// The same text as `Money.decimalString`, without building a String per cell.
    private mutating func putMoney(_ money: Money) {
        reserve(Self.longestFixedField)
        if money.minorUnits < 0 { putReserved(UInt8(ascii: "-")) }
        let magnitude = money.minorUnits.magnitude
        putDigits(magnitude / 100)
        let cents = magnitude % 100
        putReserved(UInt8(ascii: "."))
        putReserved(UInt8(truncatingIfNeeded: 0x30 + cents / 10))
        putReserved(UInt8(truncatingIfNeeded: 0x30 + cents % 10))
    }

    /// Decimal digits of `value`; the caller has reserved 20 bytes.
    private mutating func putDigits(_ value: UInt64) {
        var digits = 1
        var scan = value
        while scan >= 10 {
            scan /= 10
            digits += 1
        }
        var rest = value
        for offset in stride(from: digits - 1, through: 0, by: -1) {
            buffer.storeBytes(
                of: UInt8(truncatingIfNeeded: 0x30 + rest % 10), toByteOffset: count + offset, as: UInt8.self)
            rest /= 10
        }
        count += digits
    }

    // MARK: - Buffer

    /// Makes room for `bytes` (at most the capacity) so that `putReserved` needs no check.
    @inline(__always)
    private mutating func reserve(_ bytes: Int) {
        if capacity - count < bytes { flush() }
    }

    @inline(__always)
    private mutating func putReserved(_ byte: UInt8) {
        buffer.storeBytes(of: byte, toByteOffset: count, as: UInt8.self)
        count += 1
    }

    @inline(__always)
    private mutating func put(_ byte: UInt8) {
        if count == capacity { flush() }
        putReserved(byte)
    }

    private mutating func put(_ bytes: UnsafeRawBufferPointer) {
        var rest = bytes
        while let base = rest.baseAddress, !rest.isEmpty {
            if count == capacity { flush() }
            let chunk = min(capacity - count, rest.count)
            (buffer + count).copyMemory(from: base, byteCount: chunk)
            count += chunk
            rest = UnsafeRawBufferPointer(rebasing: rest[chunk...])
        }
    }

    /// Writes the buffer out; on failure records the error and drops the bytes, so later puts stay cheap.
    private mutating func flush() {
        var written = 0
        while written < count, failure == nil {
            let result = Foundation.write(descriptor, buffer + written, count - written)
            if result >= 0 {
                written += result
            } else if errno != EINTR {
                fail("write")
            }
        }
        count = 0
    }

    private mutating func fail(_ operation: String) {
        let system = errno
        failure = ReportError(
            code: .io, operation: operation, message: systemErrorText(system), path: path, underlyingCode: system)
    }
}

/// Runs `body` with a new CSV writer and closes it afterwards; if `body` throws, the file is left incomplete.
public func withCSVWriter<Result>(
    at path: String, options: CSVOptions = CSVOptions(), _ body: (inout CSVWriter) throws -> Result
) throws -> Result {
    try withClosing(CSVWriter(path: path, options: options), body)
}
