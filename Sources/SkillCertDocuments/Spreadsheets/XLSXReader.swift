import Foundation
import ZIPFoundation
#if canImport(FoundationXML)
import FoundationXML
#endif

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
    /// Reads the first worksheet.
    public static func read(_ data: Data) throws -> XLSXTable {
        guard data.count >= 4, data.prefix(2) == Data([0x50, 0x4B]) else {
            throw SpreadsheetError(code: "not_xlsx", zh: "文件不是 Excel 工作簿（.xlsx）", en: "the file is not an .xlsx workbook")
        }
        let archive: Archive
        do { archive = try Archive(data: data, accessMode: .read) } catch {
            throw SpreadsheetError(code: "not_xlsx", zh: "文件已损坏或不是 .xlsx 工作簿", en: "the file is damaged or not an .xlsx workbook")
        }
        func part(_ path: String) throws -> Data? { try archive.readPart(path) }
        guard let workbook = try part("xl/workbook.xml") else {
            throw SpreadsheetError(code: "not_xlsx", zh: "压缩包中没有工作簿（可能是改了扩展名的 ZIP 文件）",
                                   en: "the archive holds no workbook (a ZIP renamed .xlsx?)")
        }
        let sheetPath = try firstSheetPath(workbook: workbook, rels: try part("xl/_rels/workbook.xml.rels"))
        guard let sheet = try part(sheetPath) else {
            throw SpreadsheetError(code: "not_xlsx", zh: "工作簿中找不到第一个工作表", en: "the first worksheet is missing")
        }
        let shared = try part("xl/sharedStrings.xml").map(SharedStringsParser.parse) ?? []
        return try SheetParser.parse(sheet, sharedStrings: shared)
    }

    static func firstSheetPath(workbook: Data, rels: Data?) throws -> String {
        let sheets = ElementCollector(names: ["sheet"]).collect(workbook)
        guard let first = sheets.first else {
            throw SpreadsheetError(code: "empty_workbook", zh: "工作簿中没有工作表", en: "the workbook has no sheets")
        }
        let rid = first["r:id"] ?? first.first(where: { $0.key.hasSuffix(":id") })?.value ?? ""
        if let rels {
            for r in ElementCollector(names: ["Relationship"]).collect(rels) where r["Id"] == rid {
                let target = r["Target"] ?? ""
                return target.hasPrefix("/") ? String(target.dropFirst()) : "xl/" + target
            }
        }
        return "xl/worksheets/sheet1.xml"
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
        var n = 0
        var letters = 0
        for c in reference.unicodeScalars {
            guard c.value >= 65 && c.value <= 90 else { break }
            letters += 1
            // Excel's last column is XFD: more than three letters is not a cell reference.
            guard letters <= 3 else { return nil }
            n = n * 26 + Int(c.value - 64)
        }
        return letters > 0 ? n - 1 : nil
    }
}

/// Collects the attributes of elements with given names.
final class ElementCollector: NSObject, XMLParserDelegate {
    let names: Set<String>
    var found: [[String: String]] = []

    init(names: Set<String>) { self.names = names }

    func collect(_ data: Data) -> [[String: String]] {
        let parser = XMLParser(data: data)
        parser.delegate = self
        _ = parser.parse()
        return found
    }

    func parser(_ parser: XMLParser, didStartElement name: String, namespaceURI: String?, qualifiedName: String?,
                attributes: [String: String] = [:]) {
        if names.contains(name) { found.append(attributes) }
    }
}

/// Reads `xl/sharedStrings.xml`: each `<si>` is one string, the concatenation of its `<t>` runs.
final class SharedStringsParser: NSObject, XMLParserDelegate {
    var strings: [String] = []
    var current = ""
    var inText = false
    var inPhonetic = false

    static func parse(_ data: Data) -> [String] {
        let p = SharedStringsParser()
        let parser = XMLParser(data: data)
        parser.delegate = p
        _ = parser.parse()
        return p.strings
    }

    func parser(_ parser: XMLParser, didStartElement name: String, namespaceURI: String?, qualifiedName: String?,
                attributes: [String: String] = [:]) {
        switch name {
        case "si": current = ""
        case "rPh": inPhonetic = true
        case "t": inText = !inPhonetic
        default: break
        }
    }

    func parser(_ parser: XMLParser, foundCharacters string: String) {
        if inText { current += string }
    }

    func parser(_ parser: XMLParser, didEndElement name: String, namespaceURI: String?, qualifiedName: String?) {
        switch name {
        case "si": strings.append(current)
        case "t": inText = false
        case "rPh": inPhonetic = false
        default: break
        }
    }
}

/// Reads a worksheet's cells, refusing formulas and merged cells.
final class SheetParser: NSObject, XMLParserDelegate {
    let shared: [String]
    var rows: [(number: Int, cells: [Int: String])] = []
    var rowNumber = 0
    var cells: [Int: String] = [:]
    var cellRef = ""
    var cellType = ""
    var cellColumn = 0
    var text = ""
    var capture = false
    var failure: SpreadsheetError?
    var merges: [String] = []

    init(shared: [String]) { self.shared = shared }

    static func parse(_ data: Data, sharedStrings: [String]) throws -> XLSXTable {
        let p = SheetParser(shared: sharedStrings)
        let parser = XMLParser(data: data)
        parser.delegate = p
        if !parser.parse(), p.failure == nil {
            throw SpreadsheetError(code: "invalid_xml", zh: "工作表内容无法解析", en: "the worksheet XML cannot be read")
        }
        if let f = p.failure { throw f }
        if let merge = p.merges.first {
            throw SpreadsheetError(code: "merged_cells", zh: "表格含合并单元格（\(merge)），请取消合并后再上传",
                                   en: "the sheet has merged cells (\(merge)); unmerge them and upload again", cell: merge)
        }
        return XLSXTable(rows: p.rows)
    }

    func parser(_ parser: XMLParser, didStartElement name: String, namespaceURI: String?, qualifiedName: String?,
                attributes: [String: String] = [:]) {
        switch name {
        case "row":
            rowNumber = Int(attributes["r"] ?? "") ?? rowNumber + 1
            cells = [:]
            cellColumn = -1
        case "c":
            cellRef = attributes["r"] ?? ""
            cellType = attributes["t"] ?? "n"
            cellColumn = XLSXReader.column(of: cellRef) ?? cellColumn + 1
            text = ""
        case "v", "t":
            capture = true
        case "f":
            failure = SpreadsheetError(code: "formula", zh: "单元格 \(cellRef) 含公式，请将公式转换为数值后再上传",
                                       en: "cell \(cellRef) holds a formula; paste values instead", cell: cellRef)
            parser.abortParsing()
        case "mergeCell":
            merges.append(attributes["ref"] ?? "")
        default: break
        }
    }

    func parser(_ parser: XMLParser, foundCharacters string: String) {
        if capture { text += string }
    }

    func parser(_ parser: XMLParser, didEndElement name: String, namespaceURI: String?, qualifiedName: String?) {
        switch name {
        case "v", "t": capture = false
        case "c":
            let value: String
            switch cellType {
            case "s": value = Int(text).flatMap { shared.indices.contains($0) ? shared[$0] : nil } ?? ""
            case "b": value = text == "1" ? "TRUE" : "FALSE"
            default: value = text
            }
            if !value.isEmpty { cells[cellColumn] = value }
        case "row":
            if !cells.isEmpty { rows.append((rowNumber, cells)) }
        default: break
        }
    }
}
