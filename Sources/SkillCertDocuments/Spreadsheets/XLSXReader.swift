import Foundation

/// A problem with the file itself (not with one row's values), described for the person who uploaded it.
public struct SpreadsheetError: Error, Equatable, Sendable {
    public var code: String
    public var messageZH: String
    public var messageEN: String
    /// `B7` where the problem is in one cell.
    public var cell: String?

    public init(code: String, zh: String, en: String, cell: String? = nil) {
        self.code = code
        self.messageZH = zh
        self.messageEN = en
        self.cell = cell
    }
}

/// The first worksheet of an .xlsx file as rows of text cells. Shared strings, inline strings, numbers and booleans
/// are read; formulas, merged header cells and files that are not workbooks are refused with a clear error.
public struct XLSXTable: Sendable {
    /// Rows in sheet order; each row maps a zero-based column index to the cell's text.
    public var rows: [(number: Int, cells: [Int: String])]

    /// The cell text of one row and column, trimmed, or "".
    public static func value(_ row: [Int: String], _ column: Int) -> String {
        (row[column] ?? "").trimmingCharacters(in: .whitespacesAndNewlines)
    }
}

public enum XLSXReader {
    /// Reads the first worksheet of a workbook held in memory. Uploads of any size should use
    /// `TableReader.rows(fileAt:)`, which streams the same way without holding the rows.
    public static func read(_ data: Data) throws -> XLSXTable {
        guard data.count >= 4, data.prefix(2) == Data([0x50, 0x4B]) else {
            throw SpreadsheetError(code: "not_xlsx", zh: "文件不是 Excel 工作簿（.xlsx）", en: "the file is not an .xlsx workbook")
        }
        let archive = try ZipReader(data: data, notZip: damaged)
        var rows: [(number: Int, cells: [Int: String])] = []
        try scanFirstSheet(in: archive) { rows.append(($0, $1)) }
        return XLSXTable(rows: rows)
    }

    static let damaged = SpreadsheetError(code: "not_xlsx", zh: "文件已损坏或不是 .xlsx 工作簿",
                                          en: "the file is damaged or not an .xlsx workbook")

    /// Streams the first worksheet of `archive`, calling `body` for each row that has a non-empty cell.
    ///
    /// Only `xl/sharedStrings.xml` is held in memory; the worksheet passes through in chunks of `bufferSize`.
    /// Merged cells are listed after the cell data, so that refusal comes after every row was delivered: a thrown
    /// error means the whole file is refused, whatever `body` already saw.
    static func scanFirstSheet(in archive: ZipReader, bufferSize: Int = 64 * 1024,
                               _ body: (Int, [Int: String]) throws -> Void) throws {
        guard let workbook = try smallPart("xl/workbook.xml", in: archive) else {
            throw SpreadsheetError(code: "not_xlsx", zh: "压缩包中没有工作簿（可能是改了扩展名的 ZIP 文件）",
                                   en: "the archive holds no workbook (a ZIP renamed .xlsx?)")
        }
        let sheetPath = try firstSheetPath(workbook: workbook, rels: try smallPart("xl/_rels/workbook.xml.rels", in: archive))
        guard let sheet = archive[sheetPath] else {
            throw SpreadsheetError(code: "not_xlsx", zh: "工作簿中找不到第一个工作表", en: "the first worksheet is missing")
        }
        var shared: [String] = []
        for entry in [sheet, archive["xl/sharedStrings.xml"]].compactMap({ $0 }) where entry.uncompressedSize > maxPartBytes {
            throw tooLarge
        }
        if let entry = archive["xl/sharedStrings.xml"] {
            var scanner = XMLScanner(handler: SharedStringsHandler(), invalid: invalidPart(entry.path))
            try archive.streamPart(entry, bufferSize: bufferSize) { try scanner.feed($0) }
            try scanner.finish()
            shared = scanner.handler.strings
        }
        try withoutActuallyEscaping(body) { deliver in
            var scanner = XMLScanner(handler: WorksheetHandler(shared: shared, deliver: deliver), invalid: invalidSheet)
            try archive.streamPart(sheet, bufferSize: bufferSize) { try scanner.feed($0) }
            try scanner.finish()
            if let merge = scanner.handler.firstMerge {
                throw SpreadsheetError(code: "merged_cells", zh: "表格含合并单元格（\(merge)），请取消合并后再上传",
                                       en: "the sheet has merged cells (\(merge)); unmerge them and upload again", cell: merge)
            }
        }
    }

    /// A worksheet or string table larger than this once decompressed is refused before reading: 100,000 rows of
    /// 12 text cells take about 80 MB, and a bigger declared size is almost always a decompression bomb.
    /// `ZipReader.streamPart` holds the entry to its declared size.
    static var maxPartBytes: Int64 { 1 << 30 }

    static let tooLarge = SpreadsheetError(code: "too_large", zh: "工作表过大（解压后超过 1 GB），请拆分后再上传",
                                           en: "the sheet is too large (over 1 GB uncompressed); split it and upload again")

    /// The bytes of a part that is read whole (the workbook and its relationships), nil when absent.
    static func smallPart(_ path: String, in archive: ZipReader) throws -> Data? {
        guard let entry = archive[path] else { return nil }
        // Such parts are a few kilobytes; a big one is a bomb, not a workbook.
        guard entry.uncompressedSize <= 16 << 20 else { throw tooLarge }
        var data = Data()
        try archive.streamPart(entry) { data.append(contentsOf: $0) }
        return data
    }

    /// The archive path of the first sheet listed in the workbook, through the workbook's relationships.
    static func firstSheetPath(workbook: Data, rels: Data?) throws -> String {
        let sheet = try scan(workbook, FirstSheetHandler(), path: "xl/workbook.xml")
        guard let rid = sheet.relationship else {
            throw SpreadsheetError(code: "empty_workbook", zh: "工作簿中没有工作表", en: "the workbook has no sheets")
        }
        if let rels, let target = try scan(rels, RelationshipHandler(id: rid), path: "xl/_rels/workbook.xml.rels").target {
            return target.hasPrefix("/") ? String(target.dropFirst()) : "xl/" + target
        }
        return "xl/worksheets/sheet1.xml"
    }

    /// Scans a part that is small enough to hold whole.
    static func scan<Handler: XMLScanHandler>(_ data: Data, _ handler: Handler, path: String) throws -> Handler {
        var scanner = XMLScanner(handler: handler, invalid: invalidPart(path))
        try data.withUnsafeBytes { try scanner.feed($0) }
        try scanner.finish()
        return scanner.handler
    }

    static let invalidSheet = SpreadsheetError(code: "invalid_xml", zh: "工作表内容无法解析", en: "the worksheet XML cannot be read")

    static func invalidPart(_ path: String) -> SpreadsheetError {
        SpreadsheetError(code: "invalid_xml", zh: "工作簿内容无法解析（\(path)）", en: "the workbook part \(path) cannot be read")
    }

    /// Converts an Excel serial date (1900 date system) to `YYYY-MM-DD`.
    public static func dateFromSerial(_ serial: Double) -> String? {
        guard serial >= 1, serial < 2_958_466 else { return nil }
        // Serial 60 is the fictitious 1900-02-29; days after it are shifted by one.
        let days = Int(serial.rounded(.down)) - (serial >= 61 ? 25_569 : 25_568)
        let date = Date(timeIntervalSince1970: Double(days) * 86_400)
        let f = DateFormatter()
        f.locale = Locale(identifier: "en_US_POSIX")
        f.timeZone = TimeZone(secondsFromGMT: 0)
        f.dateFormat = "yyyy-MM-dd"
        return f.string(from: date)
    }

    /// The zero-based column index of a reference like `AB12`.
    static func column(of reference: String) -> Int? {
        column(of: Array(reference.utf8))
    }

    /// The zero-based column index of a reference given as UTF-8 bytes.
    static func column<Bytes: Sequence<UInt8>>(of reference: Bytes) -> Int? {
        var n = 0
        var letters = 0
        for c in reference {
            guard c >= 65 && c <= 90 else { break }
            letters += 1
            // Excel's last column is XFD: more than three letters is not a cell reference.
            guard letters <= 3 else { return nil }
            n = n * 26 + Int(c - 64)
        }
        return letters > 0 ? n - 1 : nil
    }

    /// A non-negative decimal integer written with digits only, as in `r="12"` or `<v>3</v>`.
    static func integer<Bytes: Collection<UInt8>>(_ digits: Bytes) -> Int? {
        guard !digits.isEmpty, digits.count <= 18 else { return nil }
        var n = 0
        for d in digits {
            guard d >= 0x30 && d <= 0x39 else { return nil }
            n = n * 10 + Int(d - 0x30)
        }
        return n
    }
}
