import Foundation

/// Reads a worksheet's cells row by row, refusing formulas and noting merged cells.
struct WorksheetHandler: XMLScanHandler {
    let shared: [String]
    let deliver: (Int, [Int: String]) throws -> Void
    /// The first `<mergeCell ref>`, refused by the caller once the sheet is read.
    private(set) var firstMerge: String?

    private var rowNumber = 0
    private var cells: [Int: String] = [:]
    private var column = -1
    private var reference: [UInt8] = []
    private var type = CellType.plain
    private var text = XMLText()
    private var capturing = false
    private var phonetic = 0

    private enum CellType { case plain, shared, boolean }

    init(shared: [String], deliver: @escaping (Int, [Int: String]) throws -> Void) {
        self.shared = shared
        self.deliver = deliver
    }

    mutating func start(_ tag: XMLTag) throws {
        let name = tag.localName
        if name.is("c") {
            reference.removeAll(keepingCapacity: true)
            if let r = tag.raw("r") { reference.append(contentsOf: r) }
            column = XLSXReader.column(of: reference) ?? column + 1
            type = Self.type(tag.raw("t"))
            text.reset()
            capturing = false
        } else if name.is("v") || name.is("t") {
            // Phonetic guides (`<rPh>`) hold the reading of the text, not the text.
            capturing = phonetic == 0
        } else if name.is("row") {
            rowNumber = tag.raw("r").flatMap(XLSXReader.integer) ?? rowNumber + 1
            cells = Dictionary(minimumCapacity: cells.count)
            column = -1
        } else if name.is("f") {
            let cell = String(decoding: reference, as: UTF8.self)
            throw SpreadsheetError(code: "formula", zh: "单元格 \(cell) 含公式，请将公式转换为数值后再上传",
                                   en: "cell \(cell) holds a formula; paste values instead", cell: cell)
        } else if name.is("rPh") {
            phonetic += 1
        } else if name.is("mergeCell"), firstMerge == nil {
            firstMerge = try tag.raw("ref").map { try Self.decode($0) } ?? ""
        }
    }

    mutating func end(_ name: XMLName) throws {
        if name.is("c") {
            try endCell()
        } else if name.is("v") || name.is("t") {
            capturing = false
        } else if name.is("row") {
            if !cells.isEmpty { try deliver(rowNumber, cells) }
        } else if name.is("rPh") {
            phonetic -= 1
        }
    }

    mutating func text(_ bytes: UnsafeRawBufferPointer) throws {
        guard capturing else { return }
        text.append(bytes)
        try checkLength()
    }

    mutating func cdata(_ bytes: UnsafeRawBufferPointer) throws {
        guard capturing else { return }
        text.appendLiteral(bytes)
        try checkLength()
    }

    /// Excel holds at most 32,767 characters in a cell; far more is a hostile file that would fill memory.
    private func checkLength() throws {
        guard text.bytes.count > 1 << 20 else { return }
        let cell = String(decoding: reference, as: UTF8.self)
        throw SpreadsheetError(code: "too_large", zh: "单元格 \(cell) 的内容超过 1 MB", en: "cell \(cell) holds more than 1 MB of text",
                               cell: cell)
    }

    private mutating func endCell() throws {
        guard !text.isEmpty else { return }
        let value: String
        switch type {
        case .shared:
            let index = XLSXReader.integer(text.bytes) ?? text.string().flatMap { Int($0) }
            value = index.flatMap { shared.indices.contains($0) ? shared[$0] : nil } ?? ""
        case .boolean:
            value = text.string() == "1" ? "TRUE" : "FALSE"
        case .plain:
            guard let s = text.string() else { throw XLSXReader.invalidSheet }
            value = s
        }
        if !value.isEmpty { cells[column] = value }
    }

    /// `t="s"` is a shared string, `t="b"` a boolean; numbers, inline strings, `str`, errors and dates are their text.
    private static func type(_ t: UnsafeRawBufferPointer?) -> CellType {
        guard let t, t.count == 1 else { return .plain }
        switch t[0] {
        case 0x73: return .shared
        case 0x62: return .boolean
        default: return .plain
        }
    }

    private static func decode(_ raw: UnsafeRawBufferPointer) throws -> String {
        guard let s = XMLText.decode(raw) else { throw XLSXReader.invalidSheet }
        return s
    }
}

/// Reads `xl/sharedStrings.xml`: each `<si>` is one string, the concatenation of its `<t>` runs without phonetic runs.
struct SharedStringsHandler: XMLScanHandler {
    private(set) var strings: [String] = []
    private var text = XMLText()
    private var capturing = false
    private var phonetic = 0
    private var totalBytes = 0

    /// A table past these sizes is a decompression bomb, not a registration list.
    static var maxStrings: Int { 5_000_000 }
    static var maxBytes: Int { 256 << 20 }

    mutating func start(_ tag: XMLTag) throws {
        let name = tag.localName
        if name.is("si") {
            text.reset()
            capturing = false
        } else if name.is("t") {
            capturing = phonetic == 0
        } else if name.is("rPh") {
            phonetic += 1
        }
    }

    mutating func end(_ name: XMLName) throws {
        if name.is("si") {
            guard let s = text.string() else { throw XLSXReader.invalidPart("xl/sharedStrings.xml") }
            totalBytes += text.bytes.count
            guard strings.count < Self.maxStrings, totalBytes <= Self.maxBytes else {
                throw SpreadsheetError(code: "too_large", zh: "工作簿的共享字符串表过大，无法读取",
                                       en: "the workbook's shared string table is too large to read")
            }
            strings.append(s)
        } else if name.is("t") {
            capturing = false
        } else if name.is("rPh") {
            phonetic -= 1
        }
    }

    mutating func text(_ bytes: UnsafeRawBufferPointer) throws {
        if capturing { text.append(bytes) }
    }

    mutating func cdata(_ bytes: UnsafeRawBufferPointer) throws {
        if capturing { text.appendLiteral(bytes) }
    }
}

/// Finds the relationship id of the first `<sheet>` in `xl/workbook.xml`.
struct FirstSheetHandler: XMLScanHandler {
    /// nil when the workbook lists no sheet.
    private(set) var relationship: String?

    mutating func start(_ tag: XMLTag) throws {
        guard relationship == nil, tag.localName.is("sheet") else { return }
        guard let attributes = tag.all() else { throw XLSXReader.invalidPart("xl/workbook.xml") }
        relationship = attributes["r:id"] ?? attributes.first(where: { $0.key.hasSuffix(":id") })?.value ?? ""
    }

    mutating func end(_ name: XMLName) throws {}
    mutating func text(_ bytes: UnsafeRawBufferPointer) throws {}
    mutating func cdata(_ bytes: UnsafeRawBufferPointer) throws {}
}

/// Finds the target of one relationship in a `.rels` part.
struct RelationshipHandler: XMLScanHandler {
    let id: String
    private(set) var target: String?

    init(id: String) { self.id = id }

    mutating func start(_ tag: XMLTag) throws {
        guard target == nil, tag.localName.is("Relationship") else { return }
        guard let attributes = tag.all() else { throw XLSXReader.invalidPart("xl/_rels/workbook.xml.rels") }
        if attributes["Id"] == id { target = attributes["Target"] ?? "" }
    }

    mutating func end(_ name: XMLName) throws {}
    mutating func text(_ bytes: UnsafeRawBufferPointer) throws {}
    mutating func cdata(_ bytes: UnsafeRawBufferPointer) throws {}
}
