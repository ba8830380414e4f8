import FluentKit
import Foundation
import SkillCertCore
import SkillCertDocuments
import SkillCertPersistence
import SkillCertTestSupport
import Testing
import Vapor
import ZIPFoundation
@testable import SkillCertWeb

/// Files for the import: the template's columns, valid rows, and files that are not what they claim to be.
enum RegistrationFiles {
    static let header = RegistrationImport.columns.map(\.header)

    static func row(_ i: Int, level: String = "四级", workFrom: String = "2016-07-01") -> [String] {
        let values = ["姓名": "考生\(i)", "证件类型": "居民身份证",
                      "证件号码": ResidentID.completing("32010219900101" + String(format: "%03d", i))!,
                      "手机号码": String(format: "139%08d", i), "工作单位": "示例供电公司", "申报等级": level, "本职业工作开始日期": workFrom]
        return header.map { values[$0] ?? "" }
    }

    static func xlsx(_ rows: [[String]]) throws -> Data {
        try XLSXWriter.write([Worksheet(name: "报名名单", header: header, rows: rows.map { $0.map { $0.isEmpty ? .empty : .text($0) } })])
    }

    static func csv(_ rows: [[String]]) -> String {
        ([header] + rows).map { $0.joined(separator: ",") }.joined(separator: "\r\n") + "\r\n"
    }

    /// An xlsx whose first worksheet is the given XML.
    static func xlsx(sheetXML: String) throws -> Data {
        let base = try XLSXWriter.write([Worksheet(name: "S", header: ["x"], rows: [])])
        let source = try Archive(data: base, accessMode: .read)
        let out = try Archive(data: Data(), accessMode: .create)
        for entry in source {
            var data = Data()
            _ = try source.extract(entry) { data.append($0) }
            if entry.path == "xl/worksheets/sheet1.xml" { data = Data(sheetXML.utf8) }
            let bytes = data
            try out.addEntry(with: entry.path, type: .file, uncompressedSize: Int64(bytes.count), compressionMethod: .deflate) { p, n in
                bytes.subdata(in: Int(p)..<Int(p) + n)
            }
        }
        return out.data ?? Data()
    }

    /// A worksheet with the template header in row 1 and the given cells XML after it.
    static func sheet(rows: String, after: String = "") -> String {
        let cells = header.enumerated().map { i, h in
            "<c r=\"\(String(UnicodeScalar(UInt8(65 + i))))1\" t=\"inlineStr\"><is><t>\(h)</t></is></c>"
        }.joined()
        return """
            <?xml version="1.0" encoding="UTF-8"?><worksheet xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main"><sheetData><row r="1">\(cells)</row>\(rows)</sheetData>\(after)</worksheet>
            """
    }

    /// Inline-string cells for one data row, with column G (the work start date) given as raw XML.
    static func rowXML(_ n: Int, _ values: [String], dateCell: String) -> String {
        let cells = values.enumerated().map { i, v -> String in
            let ref = "\(String(UnicodeScalar(UInt8(65 + i))))\(n)"
            if i == 6 { return dateCell.replacingOccurrences(of: "REF", with: ref) }
            return v.isEmpty ? "" : "<c r=\"\(ref)\" t=\"inlineStr\"><is><t>\(v)</t></is></c>"
        }.joined()
        return "<row r=\"\(n)\">\(cells)</row>"
    }

    static func gbk(_ text: String) throws -> Data { try #require(GB18030.encode(text)) }
}

@Suite("Batch registration over HTTP")
struct BatchRegistrationTests {
    struct Setup {
        let planID: String
        let exams: TestClient
    }

    static func setup(_ t: TestApp) async throws -> Setup {
        let planID = try await t.publishPlanThroughPages(level: 4, fee: 0).requireID().uuidString
        let exams = try t.client()
        try await exams.apiSignIn("exams")
        return Setup(planID: planID, exams: exams)
    }

    static func post(_ s: Setup, _ data: Data, type: String) async throws -> TestResponse {
        try await s.exams.send(.POST, "/api/v1/plans/\(s.planID)/registrations/import", contentType: type, rawBody: data)
    }

    struct Problem: Decodable {
        struct Inner: Decodable {
            struct Detail: Decodable { var code: String; var row: Int?; var column: String? }
            var code: String
            var details: [Detail]
        }
        var error: Inner
    }

    static let xlsxType = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"

    /// In memory through Fluent; and, on SQLite, in a file as `make run` keeps it, where the import writes on
    /// connections of its own (ADR 0011).
    static let onFile: [Bool] = TestEngine.postgresBaseURL == nil ? [false, true] : [false]

    @Test("the API imports a valid workbook, and a GBK CSV, and answers with the batch", arguments: onFile)
    func validFiles(onFile: Bool) async throws {
        try await TestApp.withTemporaryFolder("batch") { folder in try await TestApp.with(configure: {
            if onFile { $0.database = .sqliteFile(path: folder.appendingPathComponent("test.sqlite").path) }
        }) { t in
            #expect((t.app.sqliteDirectWrites != nil) == onFile)
            let s = try await Self.setup(t)
            let ok = try await Self.post(s, try RegistrationFiles.xlsx((1...3).map { RegistrationFiles.row($0) }), type: Self.xlsxType)
            #expect(ok.status == .created, "\(ok.text)")
            #expect(ok.text.contains("\"imported\":3"))
            let gbk = try RegistrationFiles.gbk(RegistrationFiles.csv([RegistrationFiles.row(4), RegistrationFiles.row(5)]))
            let csv = try await Self.post(s, gbk, type: "text/csv")
            #expect(csv.status == .created, "\(csv.text)")
            let names = try await CandidateProfile.query(on: t.db).all().map(\.fullName).sorted()
            #expect(names == ["考生1", "考生2", "考生3", "考生4", "考生5"])
            #expect(try await StoredApplication.query(on: t.db).count() == 5)
            #expect(try await RegistrationBatch.query(on: t.db).count() == 2)
            let chain = try await AuditLog.verify(on: t.db)
            #expect(throws: Never.self) { try chain.get() }
        } }
    }

    @Test("files that are not what they claim give a clear error and import nothing", arguments: [
        "zip-renamed", "empty", "formula", "merged-header", "pdf-as-csv", "one-bad-row",
    ])
    func badFiles(kind: String) async throws {
        try await TestApp.with { t in
            let s = try await Self.setup(t)
            let data: Data
            let expected: String
            switch kind {
            case "zip-renamed":
                let zip = try Archive(data: Data(), accessMode: .create)
                let text = Data("hello".utf8)
                try zip.addEntry(with: "readme.txt", type: .file, uncompressedSize: Int64(text.count)) { p, n in text.subdata(in: Int(p)..<Int(p) + n) }
                (data, expected) = (zip.data ?? Data(), "not_xlsx")
            case "empty": (data, expected) = (Data(), "empty_file")
            case "formula":
                let row = RegistrationFiles.rowXML(2, RegistrationFiles.row(1), dateCell: "<c r=\"REF\"><f>TODAY()</f><v>46000</v></c>")
                (data, expected) = (try RegistrationFiles.xlsx(sheetXML: RegistrationFiles.sheet(rows: row)), "formula")
            case "merged-header":
                let row = RegistrationFiles.rowXML(2, RegistrationFiles.row(1), dateCell: "<c r=\"REF\"><v>42552</v></c>")
                (data, expected) = (try RegistrationFiles.xlsx(sheetXML: RegistrationFiles.sheet(rows: row, after: "<mergeCells count=\"1\"><mergeCell ref=\"A1:B1\"/></mergeCells>")), "merged_cells")
            case "pdf-as-csv": (data, expected) = (Fixtures.pdf + Data([0, 1, 2, 0]), "not_table")
            default:
                (data, expected) = (Data(RegistrationFiles.csv([RegistrationFiles.row(1), RegistrationFiles.row(2, level: "二级"), RegistrationFiles.row(3)]).utf8), "import_rejected")
            }
            let response = try await Self.post(s, data, type: kind.contains("csv") || kind == "one-bad-row" ? "text/csv" : Self.xlsxType)
            #expect(response.status == .unprocessableEntity, "\(response.text)")
            let problem = try response.json(Problem.self)
            #expect(problem.error.code == "import_rejected")
            if expected == "import_rejected" {
                #expect(problem.error.details.map(\.code) == ["level_not_offered"])
                #expect(problem.error.details.first?.row == 3 && problem.error.details.first?.column == "申报等级")
            } else {
                #expect(problem.error.details.map(\.code) == [expected])
            }
            #expect(try await StoredApplication.query(on: t.db).count() == 0)
            #expect(try await CandidateProfile.query(on: t.db).count() == 0)
        }
    }

    @Test("dates stored as serial numbers are read as dates")
    func serialDates() async throws {
        try await TestApp.with { t in
            let s = try await Self.setup(t)
            let row = RegistrationFiles.rowXML(2, RegistrationFiles.row(1), dateCell: "<c r=\"REF\" s=\"1\"><v>42552</v></c>")
            let response = try await Self.post(s, try RegistrationFiles.xlsx(sheetXML: RegistrationFiles.sheet(rows: row)), type: Self.xlsxType)
            #expect(response.status == .created, "\(response.text)")
            let profile = try #require(try await CandidateProfile.query(on: t.db).first())
            #expect(profile.background?.contains("\"from\":\"2016-07-01\"") == true)
        }
    }

    @Test("the page offers the template and shows the report of a streamed upload; only exam affairs may import")
    func page() async throws {
        try await TestApp.with { t in
            let s = try await Self.setup(t)
            let clerk = try t.client()
            try await clerk.signIn("exams")
            let template = try await clerk.get("/plans/\(s.planID)/registrations/template.xlsx")
            let table = try XLSXReader.read(Data(buffer: template.body))
            #expect(table.rows.first?.cells[2] == "证件号码*")
            let page = try await clerk.get("/plans/\(s.planID)/registrations")
            let token = try #require(clerk.cookie("sc_csrf"))
            #expect(page.text.contains("_csrf=\(token)"))
            let bad = Data(RegistrationFiles.csv([RegistrationFiles.row(1), RegistrationFiles.row(1)]).utf8)
            let rejected = try await clerk.postMultipart("/plans/\(s.planID)/registrations/import?_csrf=\(token)",
                                                         files: [("file", "名单.csv", "text/csv", bad)])
            #expect(rejected.status == .unprocessableEntity)
            #expect(rejected.text.contains("与第 2 行的证件号码重复") && rejected.text.contains("未导入任何数据"))
            let good = Data(RegistrationFiles.csv([RegistrationFiles.row(1), RegistrationFiles.row(2)]).utf8)
            let done = try await clerk.postMultipart("/plans/\(s.planID)/registrations/import?_csrf=\(token)",
                                                     files: [("file", "名单.csv", "text/csv", good)])
            #expect(done.status == .ok && done.text.contains("已导入 2 份报名"))
            #expect(try await clerk.get("/review?plan=\(s.planID)").text.contains("考生2"))

            try await t.createUser("quality", roles: [.supervision])
            let quality = try t.client()
            try await quality.apiSignIn("quality")
            let denied = try await quality.send(.POST, "/api/v1/plans/\(s.planID)/registrations/import", contentType: "text/csv", rawBody: good)
            #expect(denied.status == .forbidden)
        }
    }

    @Test("a batch-registered candidate claims the account with the mobile number and sees the application")
    func claim() async throws {
        try await TestApp.with { t in
            let s = try await Self.setup(t)
            _ = try await Self.post(s, try RegistrationFiles.xlsx([RegistrationFiles.row(1)]), type: Self.xlsxType)
            let cand = try t.client()
            // Nobody signs in to an unclaimed account, whatever the password.
            #expect(try await cand.signIn("13900000001", password: "Anything-2026").status != .seeOther)
            _ = try await cand.postForm("/register/code", [("contact", "13900000001")])
            let code = try #require(await t.outbox.lastCode(to: "13900000001"))
            // The mobile number alone does not claim it: a mistyped number must not hand the record to a stranger.
            let withoutID = try await cand.postForm("/register", [("contact", "13900000001"), ("code", code), ("fullName", "考生1"),
                                                                  ("password", "Claimed-2026-pw"), ("confirmPassword", "Claimed-2026-pw")])
            #expect(withoutID.status == .unprocessableEntity && withoutID.text.contains("证件号码以认领账号"))
            let claimed = try await cand.postForm("/register", [("contact", "13900000001"), ("code", code), ("fullName", "考生1"),
                                                                ("password", "Claimed-2026-pw"), ("confirmPassword", "Claimed-2026-pw"),
                                                                ("idNumber", RegistrationFiles.row(1)[2])])
            #expect(claimed.status == .seeOther)
            #expect(try await cand.get("/me/applications").text.contains("待审核"))
            #expect(try await AuditEntry.query(on: t.db).filter(\.$action == "candidate.claim").count() == 1)
            // A second claim of the same number is refused.
            let other = try t.client()
            _ = try await other.postForm("/register/code", [("contact", "13900000001")])
            let again = try await other.postForm("/register", [("contact", "13900000001"), ("code", try #require(await t.outbox.lastCode(to: "13900000001"))),
                                                               ("fullName", "冒名"), ("password", "Another-2026-pw"), ("confirmPassword", "Another-2026-pw"),
                                                               ("idNumber", RegistrationFiles.row(1)[2])])
            #expect(again.status == .unprocessableEntity && again.text.contains("已注册"))
            #expect(try await CandidateProfile.query(on: t.db).count() == 1)
        }
    }
}
