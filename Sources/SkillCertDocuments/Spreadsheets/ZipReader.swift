import CSystemZlib
import Foundation

/// Reads the ZIP archives that users upload (.xlsx workbooks, QTI packages) from memory or from a file, one entry at
/// a time, through the system zlib. Every field is checked against the file before it is used and every loop either
/// makes progress or throws, so no upload can hang or crash the server. What Office and QTI tools do not write
/// (ZIP64, encryption, methods other than stored and deflate, split archives) is refused with a clear error.
/// Archives are written with ZIPFoundation; docs/adr/0006-zip-reading.md says why reading is done here.
struct ZipReader {
    /// One file in the archive, as the central directory describes it. Sizes and checksum come from the central
    /// directory, which is written after the data, so entries with a data descriptor need no special case.
    struct Entry: Sendable, Equatable {
        var path: String
        /// 0 stored, 8 deflate.
        var method: UInt16
        var flags: UInt16
        var checksum: UInt32
        var compressedSize: Int64
        var uncompressedSize: Int64
        var localHeaderOffset: Int64

        var isEncrypted: Bool { flags & 1 != 0 }
    }

    /// An .xlsx has about ten entries and a QTI package one per item; more is a hostile or unrelated archive.
    static let maxEntries = 10_000
    /// The central directory is read whole: 10,000 entries with ordinary names take about 1 MB.
    static let maxDirectoryBytes = 16 << 20

    /// The entries in central directory order.
    let entries: [Entry]
    private let index: [String: Int]
    private let source: Source
    /// Where the central directory starts: every entry's data must lie before it.
    private let directoryOffset: Int64

    /// Opens an archive held in memory. A file that is not a readable ZIP archive throws `notZip`; ZIP64, too many
    /// entries and unsafe entry names throw their own errors.
    init(data: Data, notZip: SpreadsheetError) throws {
        try self.init(source: .memory(data), notZip: notZip)
    }

    /// Opens the archive at `url`, reading only the end of the file and the central directory for now.
    init(fileAt url: URL, notZip: SpreadsheetError) throws {
        let handle: FileHandle
        let size: UInt64
        do {
            handle = try FileHandle(forReadingFrom: url)
            size = try handle.seekToEnd()
        } catch {
            throw CSVReader.unreadable
        }
        try self.init(source: .file(handle, size: Int64(size)), notZip: notZip)
    }

    private init(source: Source, notZip: SpreadsheetError) throws {
        self.source = source
        // The end record is 22 bytes and a comment of at most 65,535: it lies in the file's last 65,557 bytes.
        let tailOffset = max(0, source.size - 22 - 0xFFFF)
        let tail = try source.bytes(at: tailOffset, count: Int(source.size - tailOffset))
        guard tail.count == source.size - tailOffset else { throw notZip }
        // Searching backwards, the first signature whose comment fits in the file.
        var end = tail.count - 22
        while end >= 0 && !(tail.u32(end) == 0x0605_4B50 && end + 22 + Int(tail.u16(end + 20)) <= tail.count) {
            end -= 1
        }
        guard end >= 0 else { throw notZip }
        // A ZIP64 end record before this one (Info-ZIP's `zip` writes one when streaming) is ignored while the
        // fields here hold real values; a field that needs ZIP64 holds all ones instead.
        let disk = tail.u16(end + 4), directoryDisk = tail.u16(end + 6)
        let diskEntries = tail.u16(end + 8), entryCount = tail.u16(end + 10)
        let directorySize = Int64(tail.u32(end + 12)), directoryOffset = Int64(tail.u32(end + 16))
        if [disk, directoryDisk, diskEntries, entryCount].contains(0xFFFF)
            || [directorySize, directoryOffset].contains(0xFFFF_FFFF) {
            throw Self.zip64
        }
        guard disk == 0, directoryDisk == 0, diskEntries == entryCount else { throw notZip }
        guard entryCount <= Self.maxEntries, directorySize <= Self.maxDirectoryBytes else { throw Self.tooManyEntries }
        guard directoryOffset + directorySize <= tailOffset + Int64(end) else { throw notZip }
        self.directoryOffset = directoryOffset

        let directory = try source.bytes(at: directoryOffset, count: Int(directorySize))
        guard directory.count == directorySize else { throw notZip }
        var entries: [Entry] = []
        var index: [String: Int] = [:]
        var p = 0
        for _ in 0..<entryCount {
            guard p + 46 <= directory.count, directory.u32(p) == 0x0201_4B50 else { throw notZip }
            let nameEnd = p + 46 + Int(directory.u16(p + 28))
            let recordEnd = nameEnd + Int(directory.u16(p + 30)) + Int(directory.u16(p + 32))
            guard recordEnd <= directory.count else { throw notZip }
            let entry = Entry(
                path: String(decoding: directory[(p + 46)..<nameEnd], as: UTF8.self),
                method: directory.u16(p + 10), flags: directory.u16(p + 8), checksum: directory.u32(p + 16),
                compressedSize: Int64(directory.u32(p + 20)), uncompressedSize: Int64(directory.u32(p + 24)),
                localHeaderOffset: Int64(directory.u32(p + 42)))
            if directory.u16(p + 34) == 0xFFFF
                || [entry.compressedSize, entry.uncompressedSize, entry.localHeaderOffset].contains(0xFFFF_FFFF) {
                throw Self.zip64
            }
            // Names are only looked up, never written to disk; still, a path leaving the archive is an attack.
            guard Self.isSafe(directory[(p + 46)..<nameEnd]), index[entry.path] == nil,
                  entry.localHeaderOffset + 30 <= directoryOffset else { throw notZip }
            index[entry.path] = entries.count
            entries.append(entry)
            p = recordEnd
        }
        guard p == directory.count else { throw notZip }
        self.entries = entries
        self.index = index
    }

    /// The entry at `path`, nil when absent.
    subscript(path: String) -> Entry? { index[path].map { entries[$0] } }

    /// The bytes of one entry, nil when absent. Meant for small parts (QTI items, manifests): an entry that would
    /// decompress to more than `maxBytes` is refused before reading.
    func readPart(_ path: String, maxBytes: Int64 = 16 << 20) throws -> Data? {
        guard let entry = self[path] else { return nil }
        guard entry.uncompressedSize <= maxBytes else { throw Self.tooLarge(path, maxBytes: maxBytes) }
        var out = Data(capacity: Int(entry.uncompressedSize))
        try streamPart(entry) { out.append(contentsOf: $0) }
        return out
    }

    /// Passes one entry's bytes to `consumer` in chunks of at most `bufferSize` bytes, never holding the whole entry.
    /// Errors thrown by `consumer` pass through unchanged. A damaged entry (truncated, undecodable, longer or shorter
    /// than declared, wrong checksum) is a `corrupt` error; output stops as soon as it exceeds the declared size.
    func streamPart(_ entry: Entry, bufferSize: Int = 64 * 1024,
                    _ consumer: (UnsafeRawBufferPointer) throws -> Void) throws {
        guard !entry.isEncrypted else { throw Self.encrypted(entry.path) }
        guard entry.method == 0 || entry.method == 8 else { throw Self.unsupported(entry.path, method: entry.method) }
        let damaged = Self.damaged(entry.path)
        let chunk = min(max(bufferSize, 1), 1 << 20)
        var produced: Int64 = 0
        var checksum = crc32(0, nil, 0)
        func deliver(_ bytes: UnsafeRawBufferPointer) throws {
            produced += Int64(bytes.count)
            guard produced <= entry.uncompressedSize else { throw damaged }
            guard let base = bytes.baseAddress else { return }
            checksum = crc32(checksum, base.assumingMemoryBound(to: Bytef.self), uInt(bytes.count))
            try consumer(bytes)
        }
        let start = try dataOffset(of: entry)
        if entry.method == 0 {
            guard entry.compressedSize == entry.uncompressedSize else { throw damaged }
            var position = start
            while position < start + entry.compressedSize {
                let count = Int(min(Int64(chunk), start + entry.compressedSize - position))
                let data = try source.read(at: position, count: count)
                guard data.count == count else { throw damaged }
                try data.withUnsafeBytes { try deliver($0) }
                position += Int64(count)
            }
        } else {
            try inflate(from: start, count: entry.compressedSize, chunk: chunk, damaged: damaged, deliver)
        }
        guard produced == entry.uncompressedSize, UInt32(checksum) == entry.checksum else { throw damaged }
    }

    /// Where the entry's data starts, after its local header; the data must end before the central directory.
    private func dataOffset(of entry: Entry) throws -> Int64 {
        let header = try source.bytes(at: entry.localHeaderOffset, count: 30)
        guard header.count == 30, header.u32(0) == 0x0403_4B50 else { throw Self.damaged(entry.path) }
        let start = entry.localHeaderOffset + 30 + Int64(header.u16(26)) + Int64(header.u16(28))
        guard start + entry.compressedSize <= directoryOffset else { throw Self.damaged(entry.path) }
        return start
    }

    /// Inflates `count` bytes of raw deflate data at `offset`, passing the output to `deliver` in `chunk`-sized pieces.
    private func inflate(from offset: Int64, count: Int64, chunk: Int, damaged: SpreadsheetError,
                         _ deliver: (UnsafeRawBufferPointer) throws -> Void) throws {
        // zlib keeps a pointer back to its stream, so the stream must not move: it is allocated, not a local value.
        let stream = UnsafeMutablePointer<z_stream>.allocate(capacity: 1)
        stream.initialize(to: z_stream())
        defer { stream.deallocate() }
        guard skillcert_inflate_init_raw(stream) == Z_OK else { throw damaged }
        defer { inflateEnd(stream) }
        let output = UnsafeMutableRawBufferPointer.allocate(byteCount: chunk, alignment: 1)
        defer { output.deallocate() }
        let out = output.baseAddress!.assumingMemoryBound(to: Bytef.self)

        var position = offset
        var ended = false
        // Each pass reads at least one new byte of input, so there are at most `count` passes.
        while !ended {
            // The input ran out before the deflate stream's last block: a truncated or crafted entry.
            guard position < offset + count else { throw damaged }
            let size = Int(min(Int64(chunk), offset + count - position))
            let input = try source.read(at: position, count: size)
            guard input.count == size else { throw damaged }
            position += Int64(size)
            try input.withUnsafeBytes { bytes in
                let next = bytes.baseAddress!.assumingMemoryBound(to: Bytef.self)
                stream.pointee.next_in = UnsafeMutablePointer(mutating: next)
                stream.pointee.avail_in = uInt(size)
                // Each round consumes input or fills output (checked, not assumed), and output is bounded by `deliver`.
                while true {
                    let available = stream.pointee.avail_in
                    stream.pointee.next_out = out
                    stream.pointee.avail_out = uInt(chunk)
                    let status = CSystemZlib.inflate(stream, Z_NO_FLUSH)
                    let written = chunk - Int(stream.pointee.avail_out)
                    if written > 0 { try deliver(UnsafeRawBufferPointer(start: out, count: written)) }
                    if status == Z_STREAM_END {
                        ended = true
                        return
                    }
                    let moved = written > 0 || stream.pointee.avail_in < available
                    switch status {
                    case Z_OK where moved:
                        // Input used up and output not full: zlib holds nothing more, it needs the next input.
                        if stream.pointee.avail_in == 0 && written < chunk { return }
                    case Z_BUF_ERROR where stream.pointee.avail_in == 0:
                        return
                    default:
                        // Z_DATA_ERROR, Z_MEM_ERROR, or no progress with input and room left.
                        throw damaged
                    }
                }
            }
        }
    }

    /// Whether an entry name stays inside the archive: not empty, no leading slash, no drive letter, no `..`
    /// component (with `/` or `\` as separator), no NUL.
    static func isSafe(_ name: ArraySlice<UInt8>) -> Bool {
        guard let first = name.first, first != UInt8(ascii: "/"), first != UInt8(ascii: "\\"), !name.contains(0) else {
            return false
        }
        let letter = (first | 0x20) >= UInt8(ascii: "a") && (first | 0x20) <= UInt8(ascii: "z")
        if letter && name.dropFirst().first == UInt8(ascii: ":") { return false }
        return !name.split(omittingEmptySubsequences: false) { $0 == UInt8(ascii: "/") || $0 == UInt8(ascii: "\\") }
            .contains { $0.elementsEqual("..".utf8) }
    }

    /// The same message as before ZIP reading moved here, naming the damaged entry.
    static func damaged(_ path: String) -> SpreadsheetError {
        SpreadsheetError(code: "corrupt", zh: "文件已损坏（\(path) 无法解压）", en: "the file is damaged (\(path) cannot be read)")
    }

    static let zip64 = SpreadsheetError(
        code: "unsupported_zip", zh: "压缩包使用 ZIP64 格式，暂不支持，请重新保存后上传",
        en: "the archive uses ZIP64, which is not supported; save it again and upload it")

    static let tooManyEntries = SpreadsheetError(code: "too_large", zh: "压缩包中的文件过多（超过 \(maxEntries) 个）",
                                                 en: "the archive holds too many files (over \(maxEntries))")

    static func encrypted(_ path: String) -> SpreadsheetError {
        SpreadsheetError(code: "unsupported_zip", zh: "文件中的 \(path) 已加密，请去掉密码后再上传",
                         en: "\(path) is encrypted; remove the password and upload again")
    }

    static func unsupported(_ path: String, method: UInt16) -> SpreadsheetError {
        SpreadsheetError(
            code: "unsupported_zip", zh: "文件中的 \(path) 使用了不支持的压缩方式（\(method)），请重新保存后上传",
            en: "\(path) uses an unsupported compression method (\(method)); save the file again and upload it")
    }

    static func tooLarge(_ path: String, maxBytes: Int64) -> SpreadsheetError {
        SpreadsheetError(code: "too_large", zh: "文件中的 \(path) 过大（解压后超过 \(maxBytes >> 20) MB）",
                         en: "\(path) is too large (over \(maxBytes >> 20) MB uncompressed)")
    }

    /// The archive's bytes, in memory or in a file read at an offset.
    private enum Source {
        case memory(Data)
        case file(FileHandle, size: Int64)

        var size: Int64 {
            switch self {
            case .memory(let data): Int64(data.count)
            case .file(_, let size): size
            }
        }

        /// Up to `count` bytes at `offset`; fewer only at the end of the file.
        func read(at offset: Int64, count: Int) throws -> Data {
            switch self {
            case .memory(let data):
                let start = data.startIndex + Int(min(offset, size))
                return data[start..<(start + min(count, data.endIndex - start))]
            case .file(let handle, _):
                do {
                    try handle.seek(toOffset: UInt64(offset))
                    var data = try handle.read(upToCount: count) ?? Data()
                    // A short read is retried until the end of the file, which returns nothing.
                    while data.count < count, let more = try handle.read(upToCount: count - data.count), !more.isEmpty {
                        data.append(more)
                    }
                    return data
                } catch {
                    throw CSVReader.unreadable
                }
            }
        }

        /// As `read`, as an array for reading header fields.
        func bytes(at offset: Int64, count: Int) throws -> [UInt8] {
            [UInt8](try read(at: offset, count: count))
        }
    }
}

/// Reading a file moves the handle's one position: a reader belongs to one thread at a time.
@available(*, unavailable)
extension ZipReader: Sendable {}

private extension Array<UInt8> {
    /// The little-endian integers of ZIP headers; callers check the bounds first.
    func u16(_ i: Int) -> UInt16 { UInt16(self[i]) | UInt16(self[i + 1]) << 8 }

    func u32(_ i: Int) -> UInt32 { UInt32(u16(i)) | UInt32(u16(i + 2)) << 16 }
}
