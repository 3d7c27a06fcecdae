internal import CZlib
import Foundation
import ReconCore

/// The entries of a zip file (an XLSX is one), read from its central directory; entries stream out inflated in
/// chunks, checked against their CRC-32 and bounded by ``StatementLimits``. Stored and deflated entries, zip64 sizes
/// and offsets (every one checked against the file's length without overflow).
final class ZipArchive {
    struct Entry {
        var name: String
        var method: UInt16
        var compressedSize: UInt64
        var uncompressedSize: UInt64
        var crc: UInt32
        var localHeaderOffset: UInt64
    }

    private let file: FileHandle
    private let fileSize: UInt64
    private let limits: StatementLimits
    /// Entries by name.
    private(set) var entries: [String: Entry] = [:]

    static let chunkSize = 1 << 16

    /// Opens a zip file and reads its directory. Every size and offset the file states is checked, without
    /// overflow, against the file's length and `limits` before it is used.
    init(path: String, limits: StatementLimits = .standard) throws(StatementError) {
        guard let file = FileHandle(forReadingAtPath: path) else {
            throw StatementError(code: .unreadable, message: "cannot open the statement file")
        }
        self.file = file
        self.limits = limits
        do {
            fileSize = try file.seekToEnd()
        } catch {
            throw StatementError(code: .unreadable, message: "cannot read the statement file")
        }
        try readDirectory()
    }

    deinit { try? file.close() }

    /// `count` bytes at `offset`; the range must lie inside the file (checked here, so no caller seeks past it).
    private func bytes(at offset: UInt64, count: Int) throws(StatementError) -> [UInt8] {
        guard let end = Self.sum(offset, UInt64(count)), end <= fileSize else {
            throw StatementError(code: .unreadable, message: "the XLSX is truncated (not a complete zip file)")
        }
        do {
            try file.seek(toOffset: offset)
            let data = try file.read(upToCount: count) ?? Data()
            guard data.count == count else { throw StatementError(code: .unreadable, message: "") }
            return [UInt8](data)
        } catch {
            throw StatementError(code: .unreadable, message: "the XLSX is truncated (not a complete zip file)")
        }
    }

    /// `a + b`, or nil when the file's numbers overflow.
    private static func sum(_ values: UInt64...) -> UInt64? {
        var total: UInt64 = 0
        for value in values {
            let (next, overflow) = total.addingReportingOverflow(value)
            if overflow { return nil }
            total = next
        }
        return total
    }

    private static func u16(_ b: [UInt8], _ at: Int) -> UInt16 { UInt16(b[at]) | UInt16(b[at + 1]) << 8 }
    private static func u32(_ b: [UInt8], _ at: Int) -> UInt32 {
        UInt32(b[at]) | UInt32(b[at + 1]) << 8 | UInt32(b[at + 2]) << 16 | UInt32(b[at + 3]) << 24
    }
    private static func u64(_ b: [UInt8], _ at: Int) -> UInt64 {
        UInt64(u32(b, at)) | UInt64(u32(b, at + 4)) << 32
    }

    private static func broken(_ what: String) -> StatementError {
        StatementError(code: .unreadable, message: "the XLSX is not a valid zip file: \(what)")
    }

    private func readDirectory() throws(StatementError) {
        guard fileSize >= 22 else { throw Self.broken("too short") }
        let tailLength = Int(min(fileSize, 65_557))
        let tailStart = fileSize - UInt64(tailLength)
        let tail = try bytes(at: tailStart, count: tailLength)
        var eocd = -1
        var index = tailLength - 22
        while index >= 0 {
            if Self.u32(tail, index) == 0x0605_4b50 {
                eocd = index
                break
            }
            index -= 1
        }
        guard eocd >= 0 else { throw Self.broken("no end of central directory") }
        var count = UInt64(Self.u16(tail, eocd + 10))
        var size = UInt64(Self.u32(tail, eocd + 12))
        var offset = UInt64(Self.u32(tail, eocd + 16))
        if offset == 0xFFFF_FFFF || count == 0xFFFF || size == 0xFFFF_FFFF {
            // zip64: the locator sits just before the end record.
            guard eocd >= 20, Self.u32(tail, eocd - 20) == 0x0706_4b50 else { throw Self.broken("no zip64 locator") }
            let recordOffset = Self.u64(tail, eocd - 20 + 8)
            guard let recordEnd = Self.sum(recordOffset, 56), recordEnd <= fileSize else {
                throw Self.broken("zip64 end record out of bounds")
            }
            let record = try bytes(at: recordOffset, count: 56)
            guard Self.u32(record, 0) == 0x0606_4b50 else { throw Self.broken("no zip64 end record") }
            count = Self.u64(record, 32)
            size = Self.u64(record, 40)
            offset = Self.u64(record, 48)
        }
        guard let directoryEnd = Self.sum(offset, size), directoryEnd <= fileSize else {
            throw Self.broken("directory out of bounds")
        }
        guard size <= UInt64(limits.zipDirectoryBytes) else {
            throw StatementLimits.exceeded(
                "the XLSX's zip directory is larger than", StatementLimits.size(limits.zipDirectoryBytes))
        }
        guard count <= UInt64(limits.zipEntries) else {
            throw StatementLimits.exceeded(
                "the XLSX holds more zip entries than", StatementLimits.count(limits.zipEntries))
        }
        // Both are now small: the directory fits in memory, the count in an Int.
        let directory = try bytes(at: offset, count: Int(size))
        var at = 0
        for _ in 0..<Int(count) {
            guard at + 46 <= directory.count, Self.u32(directory, at) == 0x0201_4b50 else {
                throw Self.broken("bad directory entry")
            }
            let nameLength = Int(Self.u16(directory, at + 28))
            let extraLength = Int(Self.u16(directory, at + 30))
            let commentLength = Int(Self.u16(directory, at + 32))
            guard at + 46 + nameLength + extraLength + commentLength <= directory.count else {
                throw Self.broken("bad directory entry")
            }
            var entry = Entry(
                name: String(decoding: directory[(at + 46)..<(at + 46 + nameLength)], as: UTF8.self),
                method: Self.u16(directory, at + 10),
                compressedSize: UInt64(Self.u32(directory, at + 20)),
                uncompressedSize: UInt64(Self.u32(directory, at + 24)), crc: Self.u32(directory, at + 16),
                localHeaderOffset: UInt64(Self.u32(directory, at + 42)))
            // The zip64 extra field holds, in order, whichever of the three fields overflowed.
            var extra = at + 46 + nameLength
            let extraEnd = extra + extraLength
            while extra + 4 <= extraEnd {
                let id = Self.u16(directory, extra)
                let length = Int(Self.u16(directory, extra + 2))
                if id == 0x0001 {
                    var field = extra + 4
                    if entry.uncompressedSize == 0xFFFF_FFFF, field + 8 <= extraEnd {
                        entry.uncompressedSize = Self.u64(directory, field)
                        field += 8
                    }
                    if entry.compressedSize == 0xFFFF_FFFF, field + 8 <= extraEnd {
                        entry.compressedSize = Self.u64(directory, field)
                        field += 8
                    }
                    if entry.localHeaderOffset == 0xFFFF_FFFF, field + 8 <= extraEnd {
                        entry.localHeaderOffset = Self.u64(directory, field)
                    }
                }
                extra += 4 + length
            }
            entries[entry.name] = entry
            at += 46 + nameLength + extraLength + commentLength
        }
    }

    /// Streams the named entry's bytes to `body` in chunks of at most 64 KiB; throws if it is missing, corrupt,
    /// fails its CRC, or inflates past ``StatementLimits/bytesPerPart`` or ``StatementLimits/compressionRatio``
    /// (counted as it inflates, so a bomb stops at the limit, never inflated whole). `part` names it in errors.
    ///
    /// A corrupt part is reported as such even when `body` failed first on what it read of it: after a failure of
    /// `body` (other than a limit) the rest is still inflated, bounded by the same limits, and checked.
    func read(
        _ name: String, part: String, _ body: ([UInt8]) throws(StatementError) -> Void
    ) throws(StatementError) {
        guard let entry = entries[name] else {
            throw StatementError(code: .unreadable, message: "the XLSX has no \(name)")
        }
        guard entry.method == 0 || entry.method == 8 else {
            throw Self.broken("\(name) uses compression method \(entry.method)")
        }
        let tooLarge = StatementLimits.exceeded(
            "the statement's \(part) inflates past", StatementLimits.size(limits.bytesPerPart))
        guard entry.uncompressedSize <= limits.bytesPerPart else { throw tooLarge }
        guard let headerEnd = Self.sum(entry.localHeaderOffset, 30), headerEnd <= fileSize else {
            throw Self.broken("\(name) starts past the end")
        }
        let local = try bytes(at: entry.localHeaderOffset, count: 30)
        guard Self.u32(local, 0) == 0x0403_4b50 else { throw Self.broken("bad local header of \(name)") }
        let headerLength = 30 + UInt64(Self.u16(local, 26)) + UInt64(Self.u16(local, 28))
        guard var offset = Self.sum(entry.localHeaderOffset, headerLength),
            let end = Self.sum(offset, entry.compressedSize), end <= fileSize
        else { throw Self.broken("\(name) runs past the end") }
        var remaining = entry.compressedSize
        var crc = crc32(0, nil, 0)
        var produced: UInt64 = 0
        let inflater = try entry.method == 8 ? Inflater() : nil
        var finished = entry.method == 0
        let limits = self.limits
        var failure: StatementError?
        func emit(_ out: [UInt8], _ consumed: UInt64) throws(StatementError) {
            produced += UInt64(out.count)
            guard produced <= limits.bytesPerPart else { throw tooLarge }
            if produced > limits.ratioGraceBytes {
                let (allowed, overflow) = max(consumed, 1).multipliedReportingOverflow(by: limits.compressionRatio)
                guard overflow || produced <= allowed else {
                    throw StatementError(
                        code: .limitExceeded,
                        message: "the statement's \(part) inflates to more than "
                            + "\(StatementLimits.count(limits.compressionRatio)) times its compressed size (limit)")
                }
            }
            crc = out.withUnsafeBufferPointer { crc32(crc, $0.baseAddress, uInt($0.count)) }
            guard failure == nil else { return }
            do {
                try body(out)
            } catch {
                // A limit stops the read now; anything else waits for the part's own checks.
                if error.code == .limitExceeded { throw error }
                failure = error
            }
        }
        while remaining > 0, !finished || inflater == nil {
            let chunk = try bytes(at: offset, count: Int(min(remaining, UInt64(Self.chunkSize))))
            offset += UInt64(chunk.count)
            remaining -= UInt64(chunk.count)
            if let inflater {
                finished = try inflater.inflate(chunk, emit)
            } else {
                try emit(chunk, entry.compressedSize - remaining)
            }
        }
        guard finished, produced == entry.uncompressedSize, UInt32(truncatingIfNeeded: crc) == entry.crc else {
            throw Self.broken("\(name) fails its checksum")
        }
        if let failure { throw failure }
    }
}

/// One zlib raw-inflate stream; its one owner ends it on every path.
final class Inflater {
    private let stream: UnsafeMutablePointer<z_stream>
    private var output = [UInt8](repeating: 0, count: 1 << 16)

    init() throws(StatementError) {
        stream = UnsafeMutablePointer<z_stream>.allocate(capacity: 1)
        stream.initialize(to: z_stream())
        guard czlib_inflate_init_raw(stream) == Z_OK else {
            stream.deinitialize(count: 1)
            stream.deallocate()
            throw StatementError(code: .unreadable, message: "zlib could not start inflating")
        }
    }

    deinit {
        inflateEnd(stream)
        stream.deinitialize(count: 1)
        stream.deallocate()
    }

    /// Inflates one chunk of input, handing each block of output (at most 64 KiB) to `emit` as it comes, with the
    /// compressed bytes consumed so far; returns whether the stream has ended.
    func inflate(
        _ input: [UInt8], _ emit: (_ block: [UInt8], _ consumed: UInt64) throws(StatementError) -> Void
    ) throws(StatementError) -> Bool {
        var input = input
        let count = input.count
        return try input.withUnsafeMutableBufferPointer { inBuffer throws(StatementError) -> Bool in
            stream.pointee.next_in = inBuffer.baseAddress
            stream.pointee.avail_in = uInt(count)
            while true {
                let (status, written) = output.withUnsafeMutableBufferPointer { outBuffer -> (Int32, Int) in
                    stream.pointee.next_out = outBuffer.baseAddress
                    stream.pointee.avail_out = uInt(outBuffer.count)
                    let status = CZlib.inflate(stream, Z_NO_FLUSH)
                    return (status, outBuffer.count - Int(stream.pointee.avail_out))
                }
                if written > 0 { try emit(Array(output[0..<written]), UInt64(stream.pointee.total_in)) }
                switch status {
                case Z_STREAM_END:
                    return true
                case Z_OK:
                    if stream.pointee.avail_in == 0 && stream.pointee.avail_out != 0 { return false }
                case Z_BUF_ERROR:
                    return false
                default:
                    throw StatementError(code: .unreadable, message: "the XLSX holds corrupt compressed data")
                }
            }
        }
    }
}
