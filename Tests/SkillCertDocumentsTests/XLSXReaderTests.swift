import Foundation
import Testing
import ZIPFoundation
@testable import SkillCertDocuments

@Suite("XLSX reader")
struct XLSXReaderTests {
    /// An xlsx with a hand-written worksheet part.
    static func workbook(sheet: String, shared: String? = nil) throws -> Data {
        let base = try XLSXWriter.write([Worksheet(name: "S", header: ["x"], rows: [])])
        let source = try Archive(data: base, accessMode: .read)
        let out = try Archive(data: Data(), accessMode: .create)
        for entry in source where entry.path != "xl/worksheets/sheet1.xml" {
            var data = Data()
            _ = try source.extract(entry) { data.append($0) }
            try out.addEntry(with: entry.path, type: .file, uncompressedSize: Int64(data.count)) { p, n in data.subdata(in: Int(p)..<Int(p) + n) }
        }
        for (path, text) in [("xl/worksheets/sheet1.xml", sheet)] + (shared.map { [("xl/sharedStrings.xml", $0)] } ?? []) {
            let data = Data(text.utf8)
            try out.addEntry(with: path, type: .file, uncompressedSize: Int64(data.count)) { p, n in data.subdata(in: Int(p)..<Int(p) + n) }
        }
        return out.data ?? Data()
    }

    static let ns = "xmlns=\"http://schemas.openxmlformats.org/spreadsheetml/2006/main\""

    @Test("reads what the writer writes, shared strings and numbers")
    func roundTrip() throws {
        let data = try XLSXWriter.write([Worksheet(name: "试题", header: ["职业编码", "等级"], rows: [[.text("6-31-01-03"), .number(4)]])])
        let table = try XLSXReader.read(data)
        #expect(table.rows.map(\.number) == [1, 2])
        #expect(table.rows[1].cells == [0: "6-31-01-03", 1: "4"])
        let shared = try Self.workbook(sheet: "<worksheet \(Self.ns)><sheetData><row r=\"3\"><c r=\"B3\" t=\"s\"><v>1</v></c></row></sheetData></worksheet>",
                                       shared: "<sst \(Self.ns)><si><t>甲</t></si><si><r><t>电</t></r><r><t>工</t></r></si></sst>")
        #expect(try XLSXReader.read(shared).rows.first?.cells[1] == "电工")
        #expect(try XLSXReader.read(shared).rows.first?.number == 3)
    }

    @Test("formula cells, merged cells and non-workbooks are refused with a clear message")
    func refusals() throws {
        let formula = try Self.workbook(sheet: "<worksheet \(Self.ns)><sheetData><row r=\"1\"><c r=\"A1\"><f>1+1</f><v>2</v></c></row></sheetData></worksheet>")
        #expect(throws: SpreadsheetError.self) { try XLSXReader.read(formula) }
        do { _ = try XLSXReader.read(formula) } catch let e as SpreadsheetError {
            #expect(e.code == "formula" && e.cell == "A1")
        }
        let merged = try Self.workbook(sheet: "<worksheet \(Self.ns)><sheetData><row r=\"1\"><c r=\"A1\" t=\"inlineStr\"><is><t>x</t></is></c></row></sheetData><mergeCells count=\"1\"><mergeCell ref=\"A1:B1\"/></mergeCells></worksheet>")
        do { _ = try XLSXReader.read(merged); Issue.record("merged cells accepted") } catch let e as SpreadsheetError {
            #expect(e.code == "merged_cells")
            #expect(e.messageZH.contains("A1:B1"))
        }
        #expect(throws: SpreadsheetError(code: "not_xlsx", zh: "文件不是 Excel 工作簿（.xlsx）", en: "the file is not an .xlsx workbook")) {
            try XLSXReader.read(Data("hello".utf8))
        }
    }

    @Test("Excel serial dates become ISO dates")
    func serialDates() {
        #expect(XLSXReader.dateFromSerial(45_658) == "2025-01-01")
        #expect(XLSXReader.dateFromSerial(1) == "1900-01-01")
        #expect(XLSXReader.dateFromSerial(61) == "1900-03-01")
        #expect(XLSXReader.dateFromSerial(-3) == nil)
    }

    @Test("hostile cell references and shared-string indexes are refused or ignored, never a crash")
    func hostile() throws {
        let negative = try Self.workbook(sheet: "<worksheet \(Self.ns)><sheetData><row r=\"1\"><c r=\"A1\" t=\"s\"><v>-1</v></c><c r=\"AAAAAAAAAAAAAAAAAAAA1\" t=\"inlineStr\"><is><t>x</t></is></c></row></sheetData></worksheet>",
                                         shared: "<sst \(Self.ns)><si><t>甲</t></si></sst>")
        let table = try XLSXReader.read(negative)
        #expect(table.rows.first?.cells[0] == nil)
        var corrupt = try XLSXWriter.write([Worksheet(name: "S", header: ["x"], rows: [[.text("内容")]])])
        // Damage the worksheet's compressed bytes, just after its local file header.
        let name = Data("xl/worksheets/sheet1.xml".utf8)
        let at = try #require(corrupt.range(of: name)).upperBound
        for i in 2..<8 { corrupt[at + i] ^= 0xA5 }
        #expect(throws: SpreadsheetError.self) { try XLSXReader.read(corrupt) }
    }
}
