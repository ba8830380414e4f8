import Foundation
#if canImport(Glibc)
import Glibc
#endif
import Testing
import ZIPFoundation
@testable import SkillCertDocuments

@Suite("Table reader")
struct TableReaderTests {
    struct Row: Equatable, CustomStringConvertible {
        var number: Int
        var cells: [Int: String]
        var description: String { "\(number): \(cells.sorted { $0.key < $1.key })" }
    }

    /// Writes `data` to a new temporary file named `name` and reads it back row by row.
    static func read(_ data: Data, name: String = "upload.bin", bufferSize: Int = 64 * 1024) throws -> (TableFileInfo, [Row]) {
        let url = FileManager.default.temporaryDirectory.appendingPathComponent("rows-\(UUID().uuidString)-\(name)")
        try data.write(to: url)
        defer { try? FileManager.default.removeItem(at: url) }
        var rows: [Row] = []
        let info = try TableReader.rows(fileAt: url, bufferSize: bufferSize) { rows.append(Row(number: $0, cells: $1)) }
        return (info, rows)
    }

    static func rows(_ data: Data, bufferSize: Int = 64 * 1024) throws -> [Row] { try read(data, bufferSize: bufferSize).1 }

    /// The error `TableReader` throws for `data`, or nil.
    static func error(_ data: Data, bufferSize: Int = 64 * 1024) -> SpreadsheetError? {
        do { _ = try read(data, bufferSize: bufferSize) } catch let e as SpreadsheetError { return e } catch { return nil }
        return nil
    }

    static let ns = XLSXReaderTests.ns

    static func sheet(_ rows: String, after: String = "") -> String {
        "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n<worksheet \(ns)><sheetData>\(rows)</sheetData>\(after)</worksheet>"
    }

    // MARK: XLSX

    @Test("a workbook from XLSXWriter reads back the same at every buffer size, named .csv or not")
    func writerRoundTrip() throws {
        let texts = ["张三", "a & b <c> \"d\" 'e'", "  padded  ", "line1\nline2", "110101199001011234", "😀 emoji", "X"]
        let body: [[CellValue]] = (0..<300).map { i in
            [.text(texts[i % texts.count]), .number(Double(i)), .empty, .number(45_658), .text("第\(i)行"), .number(1.5)]
        }
        let data = try XLSXWriter.write([Worksheet(name: "报名", header: ["姓名", "序号", "空", "出生日期", "备注", "分数"], rows: body)])
        let (info, rows) = try Self.read(data, name: "renamed.csv")
        #expect(info.format == .xlsx && info.encoding == "xlsx")
        #expect(rows.count == 301)
        #expect(rows[0] == Row(number: 1, cells: [0: "姓名", 1: "序号", 2: "空", 3: "出生日期", 4: "备注", 5: "分数"]))
        #expect(rows[2] == Row(number: 3, cells: [0: texts[1], 1: "1", 3: "45658", 4: "第1行", 5: "1.5"]))
        #expect(rows[300].cells[4] == "第299行")
        #expect(Set(rows.map { $0.cells[0] ?? "" }).isSuperset(of: texts))
        for size in [1, 7, 4096] {
            #expect(try Self.rows(data, bufferSize: size) == rows, "buffer size \(size)")
        }
        #expect(try XLSXReader.read(data).rows.map { Row(number: $0.number, cells: $0.cells) } == rows)
    }

    @Test("shared strings (rich text, phonetic runs), inline strings, booleans, numbers, prefixes and quote styles")
    func cellKinds() throws {
        let shared = """
            <sst \(Self.ns)><si><t>甲</t></si><si><r><rPr><b/></rPr><t>电</t></r><r><t xml:space="preserve">工 </t></r></si>\
            <si><t>東京</t><rPh sb="0" eb="2"><t>トウキョウ</t></rPh><phoneticPr fontId="1"/></si><si/><si><t>&lt;&amp;&gt;</t></si></sst>
            """
        let rows = """
            <row r="2" spans="1:6"><c r="A2" t="s"><v>0</v></c><c r='B2' t='s'><v>1</v></c><c r="C2" t="s"><v>2</v></c>\
            <c r="D2" t="s"><v>3</v></c><c r="E2" t="s"><v>4</v></c><c r="F2" t="s"><v>99</v></c></row>\
            <row r="4"><c r="A4" t="inlineStr"><is><r><t>富</t></r><r><t>文本</t></r></is></c><c r="C4" t="b"><v>1</v></c>\
            <c r="D4" t="b"><v>0</v></c><c r="E4"><v>3.25</v></c><c r="F4" t="str"><v>text</v></c><c r="G4" t="e"><v>#N/A</v></c>\
            <c r="H4"/><c r="I4" t="b"/></row>\
            <row r="5"/><row><c t="inlineStr"><is><t>no ref</t></is></c><c><v>7</v></c></row>
            """
        let data = try XLSXReaderTests.workbook(sheet: Self.sheet(rows), shared: shared)
        let expected = [
            Row(number: 2, cells: [0: "甲", 1: "电工 ", 2: "東京", 4: "<&>"]),
            Row(number: 4, cells: [0: "富文本", 2: "TRUE", 3: "FALSE", 4: "3.25", 5: "text", 6: "#N/A"]),
            Row(number: 6, cells: [0: "no ref", 1: "7"]),
        ]
        #expect(try Self.rows(data) == expected)
        #expect(try Self.rows(data, bufferSize: 3) == expected)

        let prefixed = """
            <x:worksheet xmlns:x="http://schemas.openxmlformats.org/spreadsheetml/2006/main"><x:sheetData>\
            <x:row r="1"><x:c r="B1" t="inlineStr"><x:is><x:t>前缀</x:t></x:is></x:c></x:row></x:sheetData></x:worksheet>
            """
        #expect(try Self.rows(try XLSXReaderTests.workbook(sheet: prefixed)) == [Row(number: 1, cells: [1: "前缀"])])
    }

    @Test("entities and character references in cells")
    func entities() throws {
        let sheet = Self.sheet("""
            <row r="1"><c r="A1" t="inlineStr"><is><t>a &amp; b &lt;c&gt; &quot;d&quot; &apos;e&apos; &#20013;&#x6587;</t></is></c></row>
            """)
        let data = try XLSXReaderTests.workbook(sheet: sheet)
        #expect(try Self.rows(data, bufferSize: 2).first?.cells[0] == "a & b <c> \"d\" 'e' 中文")
        let bad = try XLSXReaderTests.workbook(sheet: Self.sheet("<row r=\"1\"><c r=\"A1\"><v>&nbsp;</v></c></row>"))
        #expect(Self.error(bad)?.code == "invalid_xml")
    }

    @Test("formula refused, naming the cell, even as a self-closing shared formula")
    func formula() throws {
        for f in ["<f>SUM(A1:A2)</f><v>3</v>", "<f t=\"shared\" si=\"0\"/><v>3</v>"] {
            let data = try XLSXReaderTests.workbook(sheet: Self.sheet("<row r=\"1\"><c r=\"A1\"><v>1</v></c></row><row r=\"2\"><c r=\"C2\">\(f)</c></row>"))
            let e = try #require(Self.error(data, bufferSize: 5))
            #expect(e.code == "formula" && e.cell == "C2" && e.messageZH.contains("C2"))
        }
    }

    @Test("merged cells are refused after the rows: the error comes last, so the caller must drop what it saw")
    func merged() throws {
        let sheet = Self.sheet("<row r=\"1\"><c r=\"A1\" t=\"inlineStr\"><is><t>x</t></is></c></row>",
                               after: "<mergeCells count=\"2\"><mergeCell ref=\"A1:B1\"/><mergeCell ref=\"C1:D1\"/></mergeCells>")
        let url = FileManager.default.temporaryDirectory.appendingPathComponent("merged-\(UUID().uuidString).xlsx")
        try XLSXReaderTests.workbook(sheet: sheet).write(to: url)
        defer { try? FileManager.default.removeItem(at: url) }
        var seen = 0
        do {
            try TableReader.rows(fileAt: url) { _, _ in seen += 1 }
            Issue.record("merged cells accepted")
        } catch let e as SpreadsheetError {
            #expect(e.code == "merged_cells" && e.cell == "A1:B1" && e.messageZH.contains("A1:B1"))
        }
        #expect(seen == 1)
    }

    @Test("ZIP files that are not workbooks, damaged ones and workbooks without sheets are refused")
    func notWorkbooks() throws {
        let zip = try Archive(data: Data(), accessMode: .create)
        try zip.addText("word/document.xml", "<w:document/>")
        let zipData = try #require(zip.data)
        let renamed = try #require(Self.error(zipData))
        #expect(renamed.code == "not_xlsx" && renamed.messageZH.contains("没有工作簿"))

        #expect(Self.error(Data([0x50, 0x4B, 3, 4]) + Data(repeating: 7, count: 100))?.code == "not_xlsx")

        let empty = try Archive(data: Data(), accessMode: .create)
        try empty.addText("xl/workbook.xml", "<workbook \(Self.ns)><sheets/></workbook>")
        let emptyData = try #require(empty.data)
        #expect(Self.error(emptyData)?.code == "empty_workbook")

        let broken = try XLSXReaderTests.workbook(sheet: Self.sheet("<row r=\"1\"><c r=\"A1\"><v>1</v></row>"))
        let e = try #require(Self.error(broken, bufferSize: 7))
        #expect(e == XLSXReader.invalidSheet)
    }

    @Test("a damaged entry is refused as corrupt, also when only the checksum tells")
    func corrupt() throws {
        // The hand-written parts are stored, not deflated: one changed letter still reads as XML.
        var data = try XLSXReaderTests.workbook(sheet: Self.sheet("<row r=\"1\"><c r=\"A1\" t=\"inlineStr\"><is><t>ABCD</t></is></c></row>"))
        let at = try #require(data.range(of: Data("ABCD".utf8))).lowerBound
        data[at + 3] = UInt8(ascii: "E")
        let e = Self.error(data, bufferSize: 3)
        #expect(e?.code == "corrupt" && e?.messageZH.contains("xl/worksheets/sheet1.xml") == true)
        #expect(throws: SpreadsheetError.self) { try XLSXReader.read(data) }
    }

    @Test("a cell with more text than Excel allows is refused, not held")
    func hugeCell() throws {
        let text = String(repeating: "长", count: 400_000)
        let data = try XLSXReaderTests.workbook(sheet: Self.sheet("<row r=\"1\"><c r=\"B1\" t=\"inlineStr\"><is><t>\(text)</t></is></c></row>"))
        let e = Self.error(data)
        #expect(e?.code == "too_large" && e?.cell == "B1")
    }

    @Test("a sheet with no rows delivers none and is not an error")
    func noRows() throws {
        #expect(try Self.rows(try XLSXReaderTests.workbook(sheet: Self.sheet(""))).isEmpty)
    }

    // MARK: CSV

    static let header = "姓名,身份证号,备注\n"

    @Test("UTF-8 CSV, with and without BOM")
    func utf8() throws {
        let text = Self.header + "张三,110101199001011234,\n李四,,\"含,逗号\"\n"
        let expected = [
            Row(number: 1, cells: [0: "姓名", 1: "身份证号", 2: "备注"]),
            Row(number: 2, cells: [0: "张三", 1: "110101199001011234"]),
            Row(number: 3, cells: [0: "李四", 2: "含,逗号"]),
        ]
        let (info, rows) = try Self.read(Data(text.utf8), name: "x.xlsx")
        #expect(info.format == .csv && info.encoding == "UTF-8")
        #expect(rows == expected)
        let (bomInfo, bomRows) = try Self.read(Data([0xEF, 0xBB, 0xBF]) + Data(text.utf8))
        #expect(bomInfo.encoding == "UTF-8" && bomRows == expected)
        #expect(try Self.read(Data("name,id\nZhang,1\n".utf8)).0.encoding == "UTF-8")
    }

    /// `text` in GB18030.
    static func gbk(_ text: String) throws -> Data { try #require(GB18030.encode(text)) }

    @Test("GBK CSV is detected and decoded, at every buffer size and when the first Chinese comes after 64 KB")
    func gbk() throws {
        let zhangSan = Data([0xD5, 0xC5, 0xC8, 0xFD])
        #expect(try Self.gbk("张三") == zhangSan)
        let (info, rows) = try Self.read(Data("name,id\n".utf8) + zhangSan + Data(",1\n".utf8))
        #expect(info.encoding == "GB18030")
        #expect(rows.last == Row(number: 2, cells: [0: "张三", 1: "1"]))

        let text = Self.header + "王五,110101199001011234,\"多行\r\n备注，含“引号”\"\r\n赵六,,䶮\r\n"
        let data = try Self.gbk(text)
        let utf8Rows = try Self.rows(Data(text.utf8))
        for size in [1, 2, 3, 7, 65_536] {
            #expect(try Self.rows(data, bufferSize: size) == utf8Rows, "buffer size \(size)")
        }

        let ascii = String(repeating: "abc,123\n", count: 10_000)
        let (lateInfo, lateRows) = try Self.read(Data(ascii.utf8) + zhangSan + Data("\n".utf8))
        #expect(lateInfo.encoding == "GB18030")
        #expect(lateRows.last == Row(number: 10_001, cells: [0: "张三"]))
    }

    @Test("quotes, doubled quotes, line breaks inside quotes, CRLF, lone CR, blank lines and untrimmed cells")
    func quoting() throws {
        let text = "a,\"b \"\"q\"\" c\",\"line1\r\nline2\"\r\n\"x\"\r\n\r\n ,,  y  ,\"\"\rlast,\"ab\"cd,e\"f"
        let expected = [
            Row(number: 1, cells: [0: "a", 1: "b \"q\" c", 2: "line1\r\nline2"]),
            Row(number: 2, cells: [0: "x"]),
            Row(number: 4, cells: [0: " ", 2: "  y  "]),
            Row(number: 5, cells: [0: "last", 1: "abcd", 2: "e\"f"]),
        ]
        for size in [1, 2, 3, 4, 5, 7, 65_536] {
            #expect(try Self.rows(Data(text.utf8), bufferSize: size) == expected, "buffer size \(size)")
        }
        #expect(try Self.rows(Data("a,b\r\nc,d\r\n".utf8), bufferSize: 4) == [Row(number: 1, cells: [0: "a", 1: "b"]), Row(number: 2, cells: [0: "c", 1: "d"])])
        #expect(try Self.rows(Data("a\n,,\n\"\"\nb".utf8)) == [Row(number: 1, cells: [0: "a"]), Row(number: 4, cells: [0: "b"])])
    }

    /// The rows or the error code of parsing `bytes` fed in pieces of `size`.
    static func parse(_ bytes: [UInt8], chunk size: Int) -> String {
        var parser = CSVParser()
        parser.decide(Data(bytes))
        var rows: [Row] = []
        do {
            var i = 0
            while i < bytes.count {
                let end = min(i + size, bytes.count)
                try bytes[i..<end].withUnsafeBytes { try parser.feed($0) { rows.append(Row(number: $0, cells: $1)) } }
                i = end
            }
            try parser.finish { rows.append(Row(number: $0, cells: $1)) }
            return rows.description
        } catch let e as SpreadsheetError {
            return e.code + e.messageZH
        } catch {
            return "?"
        }
    }

    @Test("random CSV gives the same rows or error at every chunk size")
    func randomCSV() {
        var random = XMLScannerTests.SplitMix(state: 7)
        let pieces = ["a", "b ", ",", ",", "\"", "\"", "\n", "\r", "\r\n", "张", "\u{FF}"].map { Array($0.utf8) }
        for _ in 0..<2000 {
            let bytes = (0..<Int.random(in: 0...40, using: &random)).flatMap { _ in pieces.randomElement(using: &random)! }
            let whole = Self.parse(bytes, chunk: bytes.count + 1)
            let size = Int.random(in: 1...5, using: &random)
            #expect(Self.parse(bytes, chunk: size) == whole, "\(bytes) in chunks of \(size)")
        }
    }

    @Test("empty and whitespace-only files are refused as empty")
    func empty() {
        for data in [Data(), Data(" \r\n\t\n".utf8), Data([0xEF, 0xBB, 0xBF]), Data(repeating: 0x0A, count: 100_000)] {
            #expect(Self.error(data)?.code == "empty_file")
        }
        #expect(Self.error(Data(repeating: 0x0A, count: 100_000) + Data("a".utf8)) == nil)
    }

    @Test("binary files renamed .csv are refused as not a table")
    func binary() {
        let png = Data([0x89, 0x50, 0x4E, 0x47, 0x0D, 0x0A, 0x1A, 0x0A, 0, 0, 0, 0x0D, 0x49, 0x48, 0x44, 0x52])
        let pdf = Data("%PDF-1.7\n%\u{E2}\u{E3}\n1 0 obj\n<< /Type /Catalog >>\nendobj\n".utf8)
        let noise = Data((0..<4096).map { UInt8(truncatingIfNeeded: $0 &* 2_654_435_761 >> 7) | 1 })
        for data in [png, pdf, noise, Data("a,b\n".utf8) + Data([0]) + Data("c\n".utf8)] {
            let e = Self.error(data)
            #expect(e?.code == "not_table" && e?.messageZH == "文件不是 Excel 工作簿（.xlsx）或 CSV 文本文件")
        }
        let xls = Self.error(Data([0xD0, 0xCF, 0x11, 0xE0, 0xA1, 0xB1, 0x1A, 0xE1, 0, 0, 0, 0]))
        #expect(xls?.code == "not_table" && xls?.messageZH.contains(".xls") == true)
        #expect(Self.error(Data([0xFF, 0xFE, 0x41, 0x00]))?.code == "encoding")
    }

    @Test("an unterminated quote names the row where it opened; undecodable text names its row")
    func badText() {
        let open = Self.error(Data("a,b\nc,\"d\ne,f\n".utf8), bufferSize: 3)
        #expect(open?.code == "invalid_csv" && open?.messageZH.contains("第 2 行") == true && open?.cell == "B2")
        let undecodable = Self.error(Data("姓名\n张三\n".utf8) + Data([0xFF, 0xFE, 0x80]) + Data("\n".utf8))
        #expect(undecodable?.code == "encoding")
        #expect(undecodable?.messageZH == "第 3 行含无法识别的字符，请以 UTF-8 或 GBK 编码保存")
    }

    @Test("errors thrown by the caller pass through unchanged")
    func callerErrors() throws {
        struct Stop: Error {}
        let url = FileManager.default.temporaryDirectory.appendingPathComponent("stop-\(UUID().uuidString).xlsx")
        try XLSXWriter.write([Worksheet(name: "S", header: ["x"], rows: [[.text("y")]])]).write(to: url)
        defer { try? FileManager.default.removeItem(at: url) }
        #expect(throws: Stop.self) { try TableReader.rows(fileAt: url) { _, _ in throw Stop() } }
    }
}
