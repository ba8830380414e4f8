import FluentKit
import Foundation
import SkillCertCore
import SkillCertDocuments
import SkillCertPersistence
import SkillCertTestSupport
import Testing
@testable import SkillCertWeb

@Suite("Item import from XLSX")
struct ItemImportTests {
    static let xlsx = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"

    static func row(_ level: String = "4", scope: String = "C", element: String = "001", type: String = "单选",
                    stem: String, answer: String = "A", difficulty: String = "0.7") -> [CellValue] {
        ["6-31-01-03", "2018", level, scope, element, type, stem, "选项一", "选项二", "选项三", "选项四", "", "", answer, "", "",
         difficulty, "示例", "测试"].map { .text($0) }
    }

    static func workbook(_ rows: [[CellValue]]) throws -> Data {
        try XLSXWriter.write([Worksheet(name: "试题", header: ItemSheetImport.columns.map(\.header), rows: rows)])
    }

    @Test("a file with errors in several rows reports each row and column and imports nothing; a good file imports all")
    func allOrNothing() async throws {
        try await TestApp.with { t in
            try await t.createUser("author", roles: [.itemExaminer])
            let c = try t.client()
            try await c.signIn("author")
            let template = try await c.get("/items/import-template.xlsx")
            #expect(template.status == .ok)
            let header = try XLSXReader.read(Data(buffer: template.body)).rows.first?.cells
            #expect(header?[6] == "题干")

            let bad = try Self.workbook([
                Self.row(stem: "第一题：正确的行"),
                Self.row("7", stem: "第二题：等级不存在"),
                Self.row(stem: "第三题：答案超出选项", answer: "Z"),
                Self.row(scope: "C", element: "099", stem: "第四题：鉴定点不存在"),
                Self.row(stem: "第一题：正确的行"),
                Self.row(stem: "第六题：难度不是数字", difficulty: "容易"),
            ])
            let r = try await c.postMultipart("/items/import", files: [("file", "items.xlsx", Self.xlsx, bad)])
            #expect(r.status == .unprocessableEntity)
            for expected in ["<td>3</td><td>C</td><td>等级</td>", "<td>4</td><td>N</td><td>正确答案</td>",
                             "<td>5</td><td>E</td><td>鉴定点</td>", "<td>6</td><td>G</td><td>题干</td>",
                             "<td>7</td><td>Q</td><td>预估难度</td>"] {
                #expect(r.text.contains(expected), "missing \(expected)")
            }
            #expect(try await StoredItem.query(on: t.db).count() == 0)

            let good = try Self.workbook((1...12).map { Self.row(element: String(format: "%03d", $0 % 6 + 1), stem: "第 \($0) 题") }
                                         + [Self.row(type: "判断", stem: "判断题示例", answer: "对")])
            let ok = try await c.postMultipart("/items/import", files: [("file", "items.xlsx", Self.xlsx, good)])
            #expect(ok.status == .seeOther)
            #expect(try await StoredItem.query(on: t.db).count() == 13)
            #expect(try await StoredItemVersion.query(on: t.db).all().allSatisfy { $0.statusValue == .draft })
        }
    }

    @Test("files that are not what they claim get a clear error, never a 500", arguments: [
        ("empty", Data(), "文件为空"),
        ("zip without a workbook", ItemImportTests.zipWithoutWorkbook(), "改了扩展名的 ZIP"),
        ("plain text", Data("职业编码,题干\n".utf8), "不是 Excel 工作簿"),
    ])
    func badFiles(_ name: String, _ data: Data, _ message: String) async throws {
        try await TestApp.with { t in
            try await t.createUser("author", roles: [.itemExaminer])
            let c = try t.client()
            try await c.signIn("author")
            let r = try await c.postMultipart("/items/import", files: [("file", "items.xlsx", Self.xlsx, data)])
            #expect(r.status == .unprocessableEntity, "\(name)")
            #expect(r.text.contains(message), "\(name): \(r.text.prefix(2000))")
        }
    }

    static func zipWithoutWorkbook() -> Data {
        // A workbook with its workbook part removed is a plain ZIP archive.
        let xlsx = (try? XLSXWriter.write([Worksheet(name: "x", header: ["a"], rows: [])])) ?? Data()
        return xlsx.replacingOccurrences(of: Data("xl/workbook.xml".utf8), with: Data("xl/notebook.xml".utf8))
    }
}

extension Data {
    func replacingOccurrences(of a: Data, with b: Data) -> Data {
        var out = self
        while let r = out.range(of: a) { out.replaceSubrange(r, with: b) }
        return out
    }
}

@Suite("QTI exchange")
struct QTIExchangeTests {
    @Test("items exported as QTI re-import into an empty bank with identical content and placement")
    func roundTrip() async throws {
        // setup: a bank with each objective type, exported
        let (package, originals) = try await TestApp.with { t -> (Data, [String]) in
            try await t.createUser("author", roles: [.itemExaminer])
            let c = try t.client()
            try await c.signIn("author")
            let sheet = try ItemImportTests.workbook([
                ItemImportTests.row(stem: "单选：互锁的作用"),
                ItemImportTests.row(scope: "B", element: "006", type: "多选", stem: "多选：低压电器", answer: "ABD"),
                ItemImportTests.row(scope: "A", element: "003", type: "判断", stem: "判断：可以带电测电阻", answer: "错"),
            ])
            #expect(try await c.postMultipart("/items/import", files: [("file", "a.xlsx", ItemImportTests.xlsx, sheet)]).status == .seeOther)
            let export = try await c.get("/items/export.qti.zip")
            #expect(export.status == .ok)
            #expect(try await AuditEntry.query(on: t.db).filter(\.$action == "item.export").count() == 1)
            return (Data(buffer: export.body), try await Self.fingerprints(t))
        }
        // MUT: import into another installation
        try await TestApp.with { t in
            try await t.createUser("author", roles: [.itemExaminer])
            let c = try t.client()
            try await c.signIn("author")
            let r = try await c.postMultipart("/items/import-qti", files: [("file", "items.zip", "application/zip", package)])
            #expect(r.status == .seeOther)
            // validate
            let again = try await Self.fingerprints(t)
            #expect(again == originals, "\(again) vs \(originals)")
        }
    }

    /// Each item's placement and decrypted content, sorted.
    static func fingerprints(_ t: TestApp) async throws -> [String] {
        let sealer = try #require(ContentSealer(base64: TestApp.contentKey))
        var out: [String] = []
        for item in try await StoredItem.query(on: t.db).all() {
            let v = try await ItemBankStore.latest(item, on: t.db)
            let c = try sealer.open(ItemContent.self, from: v.contentCipher, context: "item-version:\(v.id!.uuidString)")
            out.append("\(item.level)|\(item.scopeCode)-\(item.elementCode)|\(item.itemType)|\(v.difficulty)|\(v.tags)|\(c.stem)|\(c.options ?? [])|\(c.correct ?? [])|\(c.acceptedAnswers ?? [])")
        }
        return out.sorted()
    }
}
