import Foundation
#if canImport(Glibc)
import Glibc
#endif

/// Streams a CSV file (RFC 4180: comma-separated, `"` quoting with `""` inside, CRLF or LF, fields over several
/// lines) in UTF-8 or GB18030/GBK, the two encodings Excel and WPS save CSV in on Chinese systems.
///
/// Records are split on bytes before decoding: `"`, `,`, LF and CR never occur inside a GBK or GB18030 character, and
/// never inside a UTF-8 one. The record number is the row number a spreadsheet program shows for that record.
enum CSVReader {
    /// Bytes read to decide what the file is, and the usual read size.
    static var sniffSize: Int { 64 * 1024 }
    /// A field longer than this is refused: it is almost always a quote that is never closed.
    static var maxField: Int { 1 << 20 }
    /// Excel's last column is XFD.
    static var maxColumns: Int { 16_384 }

    /// Reads the rest of `handle`, whose first bytes are `first`; returns the encoding name.
    static func read(_ handle: FileHandle, first: Data, bufferSize: Int,
                     _ body: (Int, [Int: String]) throws -> Void) throws -> String {
        var start = 0
        var parser = CSVParser()
        if first.starts(with: [0xEF, 0xBB, 0xBF]) {
            start = 3
            parser.encoding = .utf8
        } else if first.starts(with: [0xFF, 0xFE]) || first.starts(with: [0xFE, 0xFF]) {
            throw SpreadsheetError(code: "encoding", zh: "文件是 UTF-16 编码，请以 UTF-8 或 GBK 编码保存后上传",
                                   en: "the file is UTF-16 text; save it as UTF-8 or GBK and upload again")
        }
        try refuseBinary(first)
        let content = first.dropFirst(start)
        if content.allSatisfy(isBlank) {
            // Only whitespace so far: look further before any row is delivered, then come back.
            var blank = true
            while let more = try next(handle, sniffSize) {
                try refuseBinary(more, firstBlock: false)
                if !more.allSatisfy(isBlank) { blank = false; break }
            }
            if blank { throw emptyFile }
            do { try handle.seek(toOffset: UInt64(first.count)) } catch { throw unreadable }
        }
        parser.decide(content)
        // The first block is fed in pieces of `bufferSize` too, so that small sizes exercise every boundary.
        var offset = content.startIndex
        while offset < content.endIndex {
            let end = min(offset + max(bufferSize, 1), content.endIndex)
            try content[offset..<end].withUnsafeBytes { try parser.feed($0, body) }
            offset = end
        }
        while let block = try next(handle, max(bufferSize, 1)) {
            try refuseBinary(block, firstBlock: false)
            parser.decide(block)
            try block.withUnsafeBytes { try parser.feed($0, body) }
        }
        try parser.finish(body)
        return parser.encoding == .gb18030 ? "GB18030" : "UTF-8"
    }

    private static func next(_ handle: FileHandle, _ count: Int) throws -> Data? {
        do {
            guard let data = try handle.read(upToCount: count), !data.isEmpty else { return nil }
            return data
        } catch {
            throw unreadable
        }
    }

    private static func isBlank(_ b: UInt8) -> Bool { b == 0x20 || (b >= 0x09 && b <= 0x0D) }

    /// Refuses files that are not text: NUL bytes anywhere, well-known binary signatures, or many control characters.
    static func refuseBinary(_ block: Data, firstBlock: Bool = true) throws {
        if firstBlock && block.starts(with: [0xD0, 0xCF, 0x11, 0xE0]) {
            throw SpreadsheetError(code: "not_table", zh: "文件是旧版 Excel 工作簿（.xls），请在 Excel 中另存为 .xlsx 后上传",
                                   en: "the file is an old-style .xls workbook; save it as .xlsx and upload again")
        }
        if block.withUnsafeBytes({ b in b.baseAddress.map { memchr($0, 0, b.count) != nil } ?? false }) { throw notTable }
        guard firstBlock else { return }
        let signatures: [[UInt8]] = [
            Array("%PDF".utf8), [0x89, 0x50, 0x4E, 0x47], Array("GIF8".utf8), [0xFF, 0xD8, 0xFF],
            [0x50, 0x4B, 0x05, 0x06], [0x50, 0x4B, 0x07, 0x08], [0x1F, 0x8B], Array("Rar!".utf8), [0x37, 0x7A, 0xBC, 0xAF],
        ]
        if signatures.contains(where: { block.starts(with: $0) }) { throw notTable }
        // Text has tab, LF, CR and perhaps a stray form feed or DOS end-of-file; binary data has control bytes throughout.
        let controls = block.reduce(0) { n, b in b < 0x20 && b != 0x09 && b != 0x0A && b != 0x0C && b != 0x0D && b != 0x1A ? n + 1 : n }
        if controls > 16 && controls * 100 > block.count { throw notTable }
    }

    static let notTable = SpreadsheetError(code: "not_table", zh: "文件不是 Excel 工作簿（.xlsx）或 CSV 文本文件",
                                           en: "the file is neither an .xlsx workbook nor a CSV text file")
    static let emptyFile = SpreadsheetError(code: "empty_file", zh: "文件是空的，没有任何内容", en: "the file is empty")
    static let unreadable = SpreadsheetError(code: "unreadable", zh: "文件无法读取，请重新上传", en: "the file cannot be read; upload it again")
}

/// The byte-level CSV state machine; chunks may end anywhere, even between the CR and LF of one line end.
struct CSVParser {
    enum Encoding { case undecided, utf8, gb18030 }

    /// `.undecided` while every byte so far was ASCII.
    var encoding = Encoding.undecided

    private enum State { case fieldStart, unquoted, quoted, quoteInQuoted }

    private var state = State.fieldStart
    private var field: [UInt8] = []
    private var cells: [Int: String] = [:]
    private var column = 0
    private var record = 1
    /// The record in which the open quote started, for the error when it is never closed.
    private var quoteRecord = 1
    private var skipLF = false
    private var gb18030: GB18030Decoder?

    /// Settles the encoding on the first block that holds a non-ASCII byte: UTF-8 when that block is valid UTF-8
    /// (a character cut at its end is allowed), otherwise GB18030, which includes GBK and GB2312.
    mutating func decide(_ block: Data) {
        guard encoding == .undecided, block.contains(where: { $0 >= 0x80 }) else { return }
        encoding = block.withUnsafeBytes { UTF8Check.isValid($0, allowCutEnd: true) } ? .utf8 : .gb18030
    }

    mutating func feed(_ buffer: UnsafeRawBufferPointer, _ deliver: (Int, [Int: String]) throws -> Void) throws {
        guard let base = buffer.baseAddress, buffer.count > 0 else { return }
        let p = base.assumingMemoryBound(to: UInt8.self)
        let n = buffer.count
        var i = 0
        if skipLF {
            skipLF = false
            if p[0] == Byte.lf { i = 1 }
        }
        while i < n {
            switch state {
            case .fieldStart:
                if p[i] == Byte.quote {
                    state = .quoted
                    quoteRecord = record
                    i += 1
                } else {
                    state = .unquoted
                }
            case .unquoted:
                let start = i
                while i < n {
                    let b = p[i]
                    if b == Byte.comma || b == Byte.lf || b == Byte.cr { break }
                    i += 1
                }
                try take(p, start, i)
                if i < n {
                    try delimiter(p[i], deliver)
                    i += 1
                    if skipLF && i < n {
                        skipLF = false
                        if p[i] == Byte.lf { i += 1 }
                    }
                }
            case .quoted:
                let start = i
                while i < n && p[i] != Byte.quote { i += 1 }
                try take(p, start, i)
                if i < n {
                    state = .quoteInQuoted
                    i += 1
                }
            case .quoteInQuoted:
                let b = p[i]
                if b == Byte.quote {
                    // `""` inside quotes is one quote.
                    try take(p, i, i + 1)
                    state = .quoted
                    i += 1
                } else if b == Byte.comma || b == Byte.lf || b == Byte.cr {
                    try delimiter(b, deliver)
                    i += 1
                    if skipLF && i < n {
                        skipLF = false
                        if p[i] == Byte.lf { i += 1 }
                    }
                } else {
                    // `"a"b` is not RFC 4180; read it as Excel does, as the text `ab`.
                    state = .unquoted
                }
            }
        }
    }

    /// Ends the file: a last line without a line end is still a record; an open quote is an error.
    mutating func finish(_ deliver: (Int, [Int: String]) throws -> Void) throws {
        switch state {
        case .quoted:
            throw SpreadsheetError(code: "invalid_csv", zh: "第 \(quoteRecord) 行有未闭合的引号（以引号开头的单元格必须以引号结束）",
                                   en: "row \(quoteRecord) has a quote that is never closed", cell: cell(quoteRecord))
        case .fieldStart where column == 0:
            return
        default:
            try endRecord(deliver)
        }
    }

    private mutating func take(_ p: UnsafePointer<UInt8>, _ start: Int, _ end: Int) throws {
        guard end > start else { return }
        field.append(contentsOf: UnsafeBufferPointer(start: p + start, count: end - start))
        if field.count > CSVReader.maxField {
            let row = state == .unquoted ? record : quoteRecord
            throw SpreadsheetError(code: "invalid_csv", zh: "第 \(row) 行的单元格超过 1 MB，可能缺少闭合的引号",
                                   en: "a cell in row \(row) is longer than 1 MB; a closing quote may be missing", cell: cell(row))
        }
    }

    private mutating func delimiter(_ b: UInt8, _ deliver: (Int, [Int: String]) throws -> Void) throws {
        if b == Byte.comma {
            try endField()
            column += 1
            state = .fieldStart
            guard column < CSVReader.maxColumns else {
                throw SpreadsheetError(code: "invalid_csv", zh: "第 \(record) 行超过 \(CSVReader.maxColumns) 列",
                                       en: "row \(record) has more than \(CSVReader.maxColumns) columns")
            }
        } else {
            skipLF = b == Byte.cr
            try endRecord(deliver)
        }
    }

    private mutating func endField() throws {
        defer { field.removeAll(keepingCapacity: true) }
        guard !field.isEmpty else { return }
        guard let text = decode() else {
            throw SpreadsheetError(code: "encoding", zh: "第 \(record) 行含无法识别的字符，请以 UTF-8 或 GBK 编码保存",
                                   en: "row \(record) has characters that cannot be read; save the file as UTF-8 or GBK",
                                   cell: cell(record))
        }
        cells[column] = text
    }

    private mutating func endRecord(_ deliver: (Int, [Int: String]) throws -> Void) throws {
        try endField()
        if !cells.isEmpty { try deliver(record, cells) }
        cells = Dictionary(minimumCapacity: cells.count)
        column = 0
        record += 1
        state = .fieldStart
    }

    private mutating func decode() -> String? {
        if encoding == .gb18030 && gb18030 == nil { gb18030 = GB18030Decoder() }
        let gb18030 = gb18030
        return field.withUnsafeBytes { bytes -> String? in
            if !bytes.contains(where: { $0 >= 0x80 }) { return String(decoding: bytes, as: UTF8.self) }
            switch encoding {
            case .undecided, .utf8:
                return UTF8Check.isValid(bytes, allowCutEnd: false) ? String(decoding: bytes, as: UTF8.self) : nil
            case .gb18030:
                return gb18030?.decode(bytes)
            }
        }
    }

    private func cell(_ row: Int) -> String { "\(XLSXWriter.columnName(column))\(row)" }
}

/// Strict UTF-8 validation: no overlong forms, surrogates or code points past U+10FFFF.
enum UTF8Check {
    static func isValid(_ bytes: UnsafeRawBufferPointer, allowCutEnd: Bool) -> Bool {
        let n = bytes.count
        var i = 0
        while i < n {
            let b = bytes[i]
            if b < 0x80 {
                i += 1
                continue
            }
            let length: Int
            var low: UInt8 = 0x80
            var high: UInt8 = 0xBF
            switch b {
            case 0xC2...0xDF: length = 2
            case 0xE0: length = 3; low = 0xA0
            case 0xED: length = 3; high = 0x9F
            case 0xE1...0xEF: length = 3
            case 0xF0: length = 4; low = 0x90
            case 0xF4: length = 4; high = 0x8F
            case 0xF1...0xF3: length = 4
            default: return false
            }
            for k in 1..<length {
                guard i + k < n else { return allowCutEnd }
                let c = bytes[i + k]
                if k == 1 ? !(low...high).contains(c) : !(0x80...0xBF).contains(c) { return false }
            }
            i += length
        }
        return true
    }
}

/// GB18030 (a superset of GBK and GB2312) to UTF-8 through glibc's iconv.
final class GB18030Decoder {
    private let descriptor: iconv_t
    private var output: [UInt8] = []

    init?() {
        guard let cd = iconv_open("UTF-8", "GB18030"), Int(bitPattern: cd) != -1 else { return nil }
        descriptor = cd
    }

    deinit { iconv_close(descriptor) }

    /// The text of `bytes`, or nil when they are not GB18030.
    func decode(_ bytes: UnsafeRawBufferPointer) -> String? {
        guard let base = bytes.baseAddress else { return "" }
        // GB18030 never takes fewer bytes than the UTF-8 of the same text, less two thirds.
        let capacity = bytes.count * 2 + 8
        if output.count < capacity { output = [UInt8](repeating: 0, count: capacity) }
        _ = iconv(descriptor, nil, nil, nil, nil)
        return output.withUnsafeMutableBufferPointer { out -> String? in
            var input: UnsafeMutablePointer<CChar>? = UnsafeMutablePointer(mutating: base.assumingMemoryBound(to: CChar.self))
            var inputLeft = bytes.count
            var next: UnsafeMutablePointer<CChar>? = UnsafeMutableRawPointer(out.baseAddress!).assumingMemoryBound(to: CChar.self)
            var outputLeft = out.count
            guard iconv(descriptor, &input, &inputLeft, &next, &outputLeft) != -1, inputLeft == 0,
                  iconv(descriptor, nil, nil, &next, &outputLeft) != -1 else { return nil }
            return String(decoding: UnsafeBufferPointer(start: out.baseAddress, count: out.count - outputLeft), as: UTF8.self)
        }
    }
}

/// Text in GB18030 (GBK's superset), as Excel on a Chinese Windows saves CSV: for exports people open there, and
/// for tests of the reader.
public enum GB18030 {
    /// The bytes of `text`, or nil when iconv is not available.
    public static func encode(_ text: String) -> Data? {
        guard let cd = iconv_open("GB18030", "UTF-8"), Int(bitPattern: cd) != -1 else { return nil }
        defer { iconv_close(cd) }
        var input = Array(text.utf8).map { CChar(bitPattern: $0) }
        var output = [CChar](repeating: 0, count: input.count * 2 + 8)
        let written = input.withUnsafeMutableBufferPointer { inBuf -> Int? in
            output.withUnsafeMutableBufferPointer { outBuf -> Int? in
                var inPtr = inBuf.baseAddress
                var inLeft = inBuf.count
                var outPtr = outBuf.baseAddress
                var outLeft = outBuf.count
                guard iconv(cd, &inPtr, &inLeft, &outPtr, &outLeft) != -1, inLeft == 0 else { return nil }
                return outBuf.count - outLeft
            }
        }
        return written.map { Data(output.prefix($0).map { UInt8(bitPattern: $0) }) }
    }
}
