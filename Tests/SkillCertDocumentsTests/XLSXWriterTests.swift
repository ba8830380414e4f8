import Foundation
import Testing
import ZIPFoundation
@testable import SkillCertDocuments

@Suite("XLSX writer")
struct XLSXWriterTests {
    func sheetXML(_ data: Data, _ path: String = "xl/worksheets/sheet1.xml") throws -> String {
        let archive = try Archive(data: data, accessMode: .read)
        let entry = try #require(archive[path])
        var out = Data()
        _ = try archive.extract(entry) { out.append($0) }
        return String(decoding: out, as: UTF8.self)
    }

    @Test("writes a workbook whose cells hold escaped text and numbers")
    func cells() throws {
        let data = try XLSXWriter.write([Worksheet(name: "审计日志", header: ["姓名", "分数"],
                                                   rows: [[.text("<张三> & \"李四\""), .number(92.5)], [.text("王\u{1}五"), .number(60)]])])
        let xml = try sheetXML(data)
        #expect(xml.contains("&lt;张三&gt; &amp; &quot;李四&quot;"))
        #expect(xml.contains("<v>92.5</v>"))
        #expect(xml.contains("<v>60</v>"))
        #expect(xml.contains("王五"))  // the control character is dropped, not written
        let workbook = try sheetXML(data, "xl/workbook.xml")
        #expect(workbook.contains("name=\"审计日志\""))
    }

    @Test("column names go past Z")
    func columns() {
        #expect(XLSXWriter.columnName(0) == "A")
        #expect(XLSXWriter.columnName(25) == "Z")
        #expect(XLSXWriter.columnName(26) == "AA")
        #expect(XLSXWriter.columnName(701) == "ZZ")
        #expect(XLSXWriter.columnName(702) == "AAA")
    }

    @Test("LibreOffice-compatible parts are present")
    func parts() throws {
        let data = try XLSXWriter.write([Worksheet(name: "A", header: ["x"], rows: [])])
        let archive = try Archive(data: data, accessMode: .read)
        for path in ["[Content_Types].xml", "_rels/.rels", "xl/workbook.xml", "xl/_rels/workbook.xml.rels", "xl/styles.xml"] {
            #expect(archive[path] != nil, "missing \(path)")
        }
    }
}
