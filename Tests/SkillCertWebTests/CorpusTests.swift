import FluentKit
import Foundation
import SkillCertCore
import SkillCertDocuments
import SkillCertPersistence
import SkillCertTestSupport
import Testing
import ZIPFoundation
@testable import SkillCertWeb

/// The bad-input corpus in `tests/corpus/` (issue #11, item 4): committed small files, plus binary and oversized cases
/// built here. Every case must be refused with a clear error and change nothing.
enum Corpus {
    static let root = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
        .deletingLastPathComponent().appendingPathComponent("tests/corpus")

    static func data(_ path: String) throws -> Data { try Data(contentsOf: root.appendingPathComponent(path)) }

    static func text(_ path: String) throws -> String { String(decoding: try data(path), as: UTF8.self) }

    /// A valid registration workbook with one row.
    static func workbook() throws -> Data { try RegistrationFiles.xlsx([RegistrationFiles.row(1)]) }

    /// The workbook with one part removed.
    static func workbook(without part: String) throws -> Data {
        let source = try Archive(data: try workbook(), accessMode: .read)
        let out = try Archive(data: Data(), accessMode: .create)
        for entry in source where entry.path != part {
            var bytes = Data()
            _ = try source.extract(entry) { bytes.append($0) }
            let copy = bytes
            try out.addEntry(with: entry.path, type: .file, uncompressedSize: Int64(copy.count), compressionMethod: .deflate) { p, n in
                copy.subdata(in: Int(p)..<Int(p) + n)
            }
        }
        return out.data ?? Data()
    }

    static let png = Fixtures.png(width: 40, height: 30)
    /// The start of a Windows executable.
    static let exe = Data("MZ".utf8) + Data([0x90, 0, 3, 0, 0, 0, 4, 0]) + Data(repeating: 0, count: 56)
        + Data("This program cannot be run in DOS mode.".utf8)
    /// Every byte value, four times: no text encoding and no archive.
    static let garbage = Data((0..<1024).map { UInt8($0 % 256) })

    /// The audit-entry count and one table's row count, to show an input changed nothing.
    static func counts<M: Model>(_ t: TestApp, _ model: M.Type) async throws -> [Int] {
        [try await AuditEntry.query(on: t.db).count(), try await M.query(on: t.db).count()]
    }
}

@Suite("Bad-input corpus")
struct CorpusTests {
    typealias Problem = BatchRegistrationTests.Problem

    static let registrationCases: [String] = [
        "bad-quoting.csv", "wrong-header.csv", "invalid-ids.csv", "long-values.csv", "control-characters.csv",
        "empty", "truncated.xlsx", "missing-sheet.xlsx", "utf16.csv", "mixed-encoding.csv", "garbage", "png-as.xlsx", "exe-as.xlsx",
    ]

    @Test("batch registration refuses each bad file with the problem's code, row and column, and imports nothing",
          arguments: CorpusTests.registrationCases)
    func registrationFiles(_ name: String) async throws {
        try await TestApp.with { t in
            let s = try await BatchRegistrationTests.setup(t)
            let csv = Data(RegistrationFiles.csv([RegistrationFiles.row(1)]).utf8)
            let (data, codes): (Data, [String]) = switch name {
            case "empty": (Data(), ["empty_file"])
            case "truncated.xlsx": (try Corpus.workbook().prefix(600), ["not_xlsx"])
            case "missing-sheet.xlsx": (try Corpus.workbook(without: "xl/worksheets/sheet1.xml"), ["not_xlsx"])
            case "utf16.csv":
                (Data([0xFF, 0xFE]) + String(decoding: csv, as: UTF8.self).data(using: .utf16LittleEndian)!, ["encoding"])
            case "mixed-encoding.csv": (try RegistrationFiles.gbk("姓名,证件类型\r\n") + Data("考生,居民身份证\r\n".utf8), ["encoding"])
            case "garbage": (Corpus.garbage, ["not_table"])
            case "png-as.xlsx": (Corpus.png, ["not_table"])
            case "exe-as.xlsx": (Corpus.exe, ["not_table"])
            case "bad-quoting.csv": (try Corpus.data("registration/\(name)"), ["invalid_csv"])
            case "wrong-header.csv": (try Corpus.data("registration/\(name)"), ["missing_columns"])
            case "invalid-ids.csv": (try Corpus.data("registration/\(name)"),
                                     ["check_digit", "invalid_birth_date", "wrong_length", "birth_in_future", "invalid_characters"])
            case "long-values.csv": (try Corpus.data("registration/\(name)"), ["too_long", "too_long"])
            default: (try Corpus.data("registration/\(name)"), ["invalid_characters", "invalid_characters"])
            }
            let before = try await Corpus.counts(t, CandidateProfile.self)
            let type = name.hasSuffix(".csv") ? "text/csv" : BatchRegistrationTests.xlsxType
            let response = try await BatchRegistrationTests.post(s, data, type: type)
            #expect(response.status == .unprocessableEntity, "\(name): \(response.text)")
            let problem = try response.json(Problem.self)
            #expect(problem.error.code == "import_rejected")
            #expect(problem.error.details.map(\.code) == codes, "\(name): \(response.text)")
            switch name {
            case "invalid-ids.csv":
                #expect(problem.error.details.map(\.row) == [2, 3, 4, 5, 6])
                #expect(problem.error.details.allSatisfy { $0.column == "证件号码" })
            case "long-values.csv": #expect(problem.error.details.compactMap(\.column) == ["姓名", "工作单位"])
            case "control-characters.csv": #expect(problem.error.details.map(\.row) == [2, 3])
            default: break
            }
            #expect(try await Corpus.counts(t, CandidateProfile.self) == before)
            #expect(try await StoredApplication.query(on: t.db).count() == 0)
        }
    }

    @Test("the upload page names the row and column of each bad ID in Chinese and imports nothing")
    func registrationPage() async throws {
        try await TestApp.with { t in
            let s = try await BatchRegistrationTests.setup(t)
            let clerk = try t.client()
            try await clerk.signIn("exams")
            let before = try await Corpus.counts(t, CandidateProfile.self)
            // The upload streams its body, so the form carries its CSRF token in the address.
            _ = try await clerk.get("/plans/\(s.planID)/registrations")
            let token = try #require(clerk.cookie("sc_csrf"))
            let page = try await clerk.postMultipart("/plans/\(s.planID)/registrations/import?_csrf=\(token)",
                                                     files: [("file", "名单.csv", "text/csv", try Corpus.data("registration/invalid-ids.csv"))])
            #expect(page.status == .unprocessableEntity)
            for row in 2...6 { #expect(page.text.contains("第 \(row) 行“证件号码”"), "row \(row)") }
            #expect(page.text.contains("未导入任何数据"))
            #expect(try await Corpus.counts(t, CandidateProfile.self) == before)
        }
    }

    @Test("names that look like HTML or SQL, emoji and mixed scripts are accepted and come back escaped")
    func hostileNamesEscaped() async throws {
        try await TestApp.with { t in
            let s = try await BatchRegistrationTests.setup(t)
            let response = try await BatchRegistrationTests.post(s, try Corpus.data("registration/hostile-names.csv"), type: "text/csv")
            #expect(response.status == .created, "\(response.text)")
            let clerk = try t.client()
            try await clerk.signIn("exams")
            let queue = try await clerk.get("/review?plan=\(s.planID)")
            #expect(queue.text.contains("&lt;script&gt;alert(1)&lt;/script&gt;"))
            #expect(!queue.text.contains("<script>alert(1)"))
            for name in ["DROP TABLE candidates;--", "王😀", "Иван张"] { #expect(queue.text.contains(name), "\(name)") }
            #expect(try await CandidateProfile.query(on: t.db).count() == 4)
        }
    }

    @Test("item import refuses a PNG, garbage and a truncated archive named .xlsx and adds no item", arguments: [
        ("png", "不是 Excel 工作簿"), ("garbage", "不是 Excel 工作簿"), ("truncated", "已损坏"),
    ])
    func itemFiles(_ kind: String, _ message: String) async throws {
        try await TestApp.with { t in
            try await t.createUser("author", roles: [.itemExaminer])
            let c = try t.client()
            try await c.signIn("author")
            let data = switch kind {
            case "png": Corpus.png
            case "garbage": Corpus.garbage
            default: try ItemImportTests.workbook([ItemImportTests.row(stem: "题")]).prefix(500)
            }
            let before = try await Corpus.counts(t, StoredItem.self)
            let r = try await c.postMultipart("/items/import", files: [("file", "items.xlsx", ItemImportTests.xlsx, data)])
            #expect(r.status == .unprocessableEntity, "\(kind)")
            #expect(r.text.contains(message), "\(kind)")
            #expect(try await Corpus.counts(t, StoredItem.self) == before)
        }
    }

    @Test("the photo upload refuses an executable named .jpg and a file just over 5 MB and keeps the old photo")
    func photoFiles() async throws {
        try await TestApp.with { t in
            let f = try await RegistrationFixture.make(t)
            let before = try await Corpus.counts(t, CandidateProfile.self)
            let exe = try await f.candidate.postMultipart("/me/photo", files: [("photo", "photo.jpg", "image/jpeg", Corpus.exe)])
            #expect(exe.status == .unprocessableEntity && exe.text.contains("照片须为 JPEG 或 PNG 图片"))
            let big = Fixtures.photo + Data(repeating: 0, count: 5 * 1024 * 1024 + 1 - Fixtures.photo.count)
            let tooBig = try await f.candidate.postMultipart("/me/photo", files: [("photo", "photo.png", "image/png", big)])
            #expect(tooBig.status == .payloadTooLarge || tooBig.status == .unprocessableEntity, "\(tooBig.status)")
            #expect(try await Corpus.counts(t, CandidateProfile.self) == before)
            #expect(Data(buffer: try await f.candidate.get("/me/photo").body) == Fixtures.photo)
        }
    }

    @Test("the profile form refuses each bad ID of the corpus and hidden control characters; an HTML-looking name is escaped")
    func profileForm() async throws {
        try await TestApp.with { t in
            let f = try await RegistrationFixture.make(t)
            let profile = { try await #require(try await CandidateProfile.query(on: t.db).first()) }
            let masked = try await profile().idNumberMasked
            let before = try await Corpus.counts(t, CandidateProfile.self)
            func save(name: String = "李电工", id: String) async throws -> TestResponse {
                try await f.candidate.postForm("/me/profile", [("fullName", name), ("idType", "resident-id"), ("idNumber", id),
                                                               ("employer", "示例供电公司")])
            }
            let ids = try Corpus.text("registration/invalid-ids.csv").split(separator: "\r\n").dropFirst()
                .map { String($0.split(separator: ",")[2]) }
            #expect(ids.count == 5)
            for id in ids {
                let r = try await save(id: id)
                #expect(r.status == .unprocessableEntity, "\(id)")
            }
            let hidden = try await save(name: "李\u{7}电\u{202E}工", id: "11010519491231002X")
            #expect(hidden.status == .unprocessableEntity && hidden.text.contains("不可见的控制字符"))
            #expect(try await Corpus.counts(t, CandidateProfile.self) == before)
            let after = try await profile()
            #expect(after.idNumberMasked == masked && after.fullName == "李电工")

            let html = try await save(name: "<img src=x onerror=alert(1)>", id: "11010519491231002X")
            #expect(html.status == .seeOther)
            let page = try await f.candidate.get("/me/profile")
            #expect(page.text.contains("&lt;img src=x onerror=alert(1)&gt;") && !page.text.contains("<img src=x"))
        }
    }

    @Test("standards import refuses broken YAML, wrong types, UTF-16 and a file over 4 MB", arguments: [
        "not-yaml.yaml", "wrong-types.yaml", "utf16", "oversized",
    ])
    func standardFiles(_ name: String) async throws {
        try await TestApp.with { t in
            try await t.createUser("author", roles: [.itemExaminer])
            let c = try t.client()
            try await c.signIn("author")
            let data: Data = switch name {
            case "utf16": "schemaVersion: 1\n".data(using: .utf16)!
            case "oversized": Data(repeating: UInt8(ascii: "#"), count: 4 * 1024 * 1024 + 1)
            default: try Corpus.data("standards/\(name)")
            }
            let before = try await Corpus.counts(t, StoredStandard.self)
            let r = try await c.postMultipart("/standards/import", files: [("file", "standard.yaml", "application/yaml", data)])
            switch name {
            case "oversized": // The in-process test client does not enforce the route's 4 MB collect limit (a real server answers 413);
                // either way nothing is imported.
                #expect(r.status == .payloadTooLarge || r.status == .unprocessableEntity, "\(r.status)")
            case "utf16": #expect(r.status == .unprocessableEntity && r.text.contains("不是 UTF-8 编码"))
            case "wrong-types.yaml": #expect(r.status == .unprocessableEntity && r.text.contains("缺少字段"))
            default: #expect(r.status == .unprocessableEntity && r.text.contains("YAML"))
            }
            #expect(try await Corpus.counts(t, StoredStandard.self) == before)
        }
    }

    @Test("calendar import refuses broken YAML, bad dates, a wrong shape and hidden characters in a holiday name", arguments: [
        ("not-yaml.yaml", "YAML 格式错误"), ("bad-dates.yaml", "2027.holidays[1].from 不是 YYYY-MM-DD 格式的有效日期"),
        ("wrong-shape.yaml", "应为以年份为键的映射"), ("hidden", "应为不超过 50 个字符的可见文字"),
        ("long", "应为不超过 50 个字符的可见文字"),
    ])
    func calendarFiles(_ name: String, _ message: String) async throws {
        try await TestApp.with { t in
            try await t.createUser("admin", roles: [.administrator])
            let c = try t.client()
            try await c.signIn("admin")
            let yaml = switch name {
            case "hidden": "2027:\n  holidays:\n    - {name: \"国庆\\a\\u202E\", from: 2027-10-01, to: 2027-10-02}\n"
            case "long": "2027:\n  holidays:\n    - {name: \"\(String(repeating: "节", count: 5000))\", from: 2027-10-01, to: 2027-10-02}\n"
            default: try Corpus.text("calendar/\(name)")
            }
            let before = try await Corpus.counts(t, CalendarDay.self)
            let r = try await c.postForm("/settings/calendar/import", [("yaml", yaml)])
            #expect(r.status == .unprocessableEntity, "\(name)")
            #expect(r.text.contains(message), "\(name)")
            #expect(try await Corpus.counts(t, CalendarDay.self) == before)
        }
    }

    struct APICase: Decodable {
        var `case`: String
        var status: Int
        var code: String
    }

    @Test("the accounts API answers wrong types, unknown roles, hidden characters and non-JSON with an error code")
    func apiBodies() async throws {
        try await TestApp.with { t in
            try await t.createUser("admin", roles: [.administrator])
            let c = try t.client()
            try await c.apiSignIn("admin")
            let data = try Corpus.data("api/users-create.json")
            let cases = try JSONDecoder().decode([APICase].self, from: data)
            let bodies = try #require(try JSONSerialization.jsonObject(with: data) as? [[String: Any]]).map { $0["body"]! }
            let before = try await Corpus.counts(t, User.self)
            for (expected, body) in zip(cases, bodies) {
                let r = try await c.json(.POST, "/api/v1/users", body)
                #expect(Int(r.status.code) == expected.status && r.errorCode == expected.code, "\(expected.case): \(r.text)")
            }
            let broken = try await c.send(.POST, "/api/v1/users", body: "{not json", contentType: "application/json")
            #expect(broken.status == .badRequest && broken.errorCode == "invalid_json")
            #expect(try await Corpus.counts(t, User.self) == before)
        }
    }
}
