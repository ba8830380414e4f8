import FluentKit
import Foundation
import SkillCertCore
import SkillCertTestSupport
import Testing
@testable import SkillCertPersistence

@Suite("Batch registration import rules")
struct RegistrationImportTests {
    static let sealer = ContentSealer(base64: TestApp.contentKey)!
    static let header = RegistrationImport.columns.map(\.header)

    /// A published 电工 plan offering 四级 and 三级, open today (2026-11-27).
    static func plan(_ t: TestApp) async throws -> UUID { try await ExamFixture.publishedPlan(t) }

    /// A valid row; `change` adjusts columns by header.
    static func row(_ i: Int, _ change: [String: String] = [:]) -> [String] {
        var values: [String: String] = [
            "姓名": "考生\(i)", "证件类型": "居民身份证",
            "证件号码": ResidentID.completing("32010219900101" + String(format: "%03d", i))!,
            "手机号码": String(format: "139%08d", i), "工作单位": "示例供电公司", "申报等级": "四级", "本职业工作开始日期": "2016-07-01",
        ]
        for (k, v) in change { values[k] = v }
        return header.map { values[$0] ?? "" }
    }

    /// Where the import writes: the test engine through Fluent (in-memory SQLite, or PostgreSQL), or a SQLite file on
    /// the import's own connection (`SQLiteDirectWrites`, as `make run` and the CLI import).
    enum Storage: String, CaseIterable, Sendable, CustomTestStringConvertible {
        case engine, sqliteFile
        var testDescription: String { rawValue }
    }

    /// Both on SQLite; on PostgreSQL the SQLite file does not apply.
    static let storages: [Storage] = TestEngine.postgresBaseURL == nil ? Storage.allCases : [.engine]

    /// Runs `body` with a fresh application on `storage`.
    static func with(_ storage: Storage, _ body: (TestApp) async throws -> Void) async throws {
        guard storage == .sqliteFile else { return try await TestApp.with(body) }
        try await TestApp.withTemporaryFolder("import") { folder in
            try await TestApp.with(configure: { $0.database = .sqliteFile(path: folder.appendingPathComponent("test.sqlite").path) }, body)
        }
    }

    static func run(_ t: TestApp, planID: UUID, _ rows: [[String]], header: [String] = header) async throws -> RegistrationImport.Report {
        let table = [header] + rows
        let chunks = stride(from: 0, to: table.count, by: 2).map { start in
            (start..<min(start + 2, table.count)).map { i in
                TableRow(number: i + 1, cells: Dictionary(uniqueKeysWithValues: table[i].enumerated().filter { !$0.element.isEmpty }.map { ($0.offset, $0.element) }))
            }
        }
        let stream = AsyncThrowingStream<[TableRow], any Error> { c in
            chunks.forEach { c.yield($0) }
            c.finish()
        }
        return try await RegistrationImport.run(planID: planID, fileName: "名单.xlsx", fileSHA256: "abc", rows: stream,
                                                actor: AuditActor(id: nil, name: "exams"), sealer: sealer, on: t.db,
                                                direct: SQLiteDirectWrites(t.target), time: t.time)
    }

    @Test("a valid file imports every row: candidates with encrypted IDs, applications with the engine's verdict, one audited batch", arguments: storages)
    func validFile(storage: Storage) async throws {
        try await Self.with(storage) { t in
            let planID = try await Self.plan(t)
            // MUT: five rows; row 3 holds a 四级 certificate with an old 16-digit qualification number and applies for 三级.
            let report = try await Self.run(t, planID: planID, [
                Self.row(1), Self.row(2, ["学历": "大专/专科", "专业与本职业关系": "相关", "毕业日期": "2016/6/30"]),
                Self.row(3, ["申报等级": "三级/高级工", "已有证书等级": "四级", "证书发证日期": "2019年12月31日", "证书编号": "1132000000100123"]),
                Self.row(4, ["证件类型": "护照", "证件号码": "E12345678", "本职业工作开始日期": "42552"]),
                Self.row(5, ["职称": "初级", "职称取得日期": "2020-01-01", "申报等级": "4"]),
            ])
            // validate
            #expect(report.errors.isEmpty && report.imported == 5 && report.newCandidates == 5)
            let apps = try await StoredApplication.query(on: t.db).all()
            #expect(apps.count == 5 && apps.allSatisfy { $0.batchID == report.batchID && $0.paymentStatus == "unpaid" })
            let profiles = try await CandidateProfile.query(on: t.db).all()
            #expect(profiles.allSatisfy { $0.idNumberCipher?.contains("320102") == false && $0.idNumberMasked?.contains("*") == true })
            let passport = try #require(profiles.first { $0.idType == "passport" })
            #expect(passport.background?.contains("2016-07-01") == true)  // serial 42552 read as a date
            // The sealed numbers open under their account's context, as the review pages and exports open them.
            let opened = try String(decoding: Self.sealer.open(try #require(passport.idNumberCipher), context: "candidate-id:\(passport.userID.uuidString)"), as: UTF8.self)
            #expect(opened == "E12345678")
            let phone = try String(decoding: Self.sealer.open(try #require(passport.phoneCipher), context: "candidate-phone:\(passport.userID.uuidString)"), as: UTF8.self)
            #expect(phone.count == 11 && passport.phoneMasked == String(phone.prefix(3)) + "****" + String(phone.suffix(4)))
            let third = try #require(profiles.first { $0.fullName == "考生3" })
            #expect(third.background?.contains("qualification") == true && third.background?.contains("1132000000100123") == true)
            let audit = try await AuditEntry.query(on: t.db).filter(\.$action == "registration.import").all()
            #expect(audit.count == 1 && audit[0].details.contains("5 application(s)"))
            #expect(try await RegistrationBatch.query(on: t.db).first()?.rows == 5)
            // The import's entry continues the hash chain.
            let chain = try await AuditLog.verify(on: t.db)
            #expect(throws: Never.self) { try chain.get() }
            // Batch-created accounts cannot sign in until claimed.
            let user = try #require(try await User.find(profiles[0].userID, on: t.db))
            #expect(user.passwordHash == Accounts.unclaimedPasswordHash)
            if storage == .sqliteFile, case .sqliteFile(let path) = t.target {
                // The import returns at its durable commit, its pages in the WAL; the checkpoint it started then copies
                // them into the database file. The file alone, without its WAL, holds the five applications.
                await SQLiteDirectWrites.checkpointsFinished()
                let alone = path + ".alone"
                try FileManager.default.copyItem(atPath: path, toPath: alone)
                let copy = try await SQLiteDirectConnection.open(alone, readOnly: true)
                let count = try await copy.run { c in
                    var n = 0
                    try c.query("SELECT count(*) FROM \"\(StoredApplication.schema)\"") { n = $0.integer(0) }
                    return n
                }
                await copy.close()
                #expect(count == 5)
            }
        }
    }

    @Test("each rule names the row and column; one bad row imports nothing", arguments: [
        ("姓名", "", "required"),
        ("证件号码", "320102199001010011", "check_digit"),
        ("证件号码", "320102900101001", "legacy_id"),
        ("证件类型", "军官证", "unknown_value"),
        ("手机号码", "1390000", "invalid_format"),
        ("申报等级", "二级", "level_not_offered"),
        ("申报等级", "中级", "unknown_value"),
        ("本职业工作开始日期", "2016-13-01", "invalid_date"),
        ("本职业工作开始日期", "2027-01-01", "future_date"),
        ("学历", "大学", "unknown_value"),
        ("已有证书等级", "四级", "required"),
        ("证书类型", "上岗证", "unknown_value"),
        ("职称", "特级", "unknown_value"),
    ], storages)
    func rule(_ rule: (column: String, value: String, code: String), storage: Storage) async throws {
        let (column, value, code) = rule
        try await Self.with(storage) { t in
            let planID = try await Self.plan(t)
            var change = [column: value]
            if column == "证书类型" { change["已有证书等级"] = "四级"; change["证书发证日期"] = "2020-01-01" }
            let report = try await Self.run(t, planID: planID, [Self.row(1), Self.row(2, change), Self.row(3)])
            let error = try #require(report.errors.first { $0.code == code })
            #expect(error.row == 3)  // the header is row 1
            #expect(error.messageZH.contains("第 3 行"))
            #expect(report.imported == 0)
            #expect(try await StoredApplication.query(on: t.db).count() == 0)
            #expect(try await CandidateProfile.query(on: t.db).count() == 0)
            #expect(try await AuditEntry.query(on: t.db).filter(\.$action == "registration.import").count() == 0)
        }
    }

    @Test("the legacy 15-digit ID is refused with a message that says so", arguments: storages)
    func legacyID(storage: Storage) async throws {
        try await Self.with(storage) { t in
            let planID = try await Self.plan(t)
            let report = try await Self.run(t, planID: planID, [Self.row(1, ["证件号码": "320102900101001"])])
            #expect(report.errors.first?.messageZH.contains("15 位") == true)
        }
    }

    @Test("duplicates within the file and against the plan's existing applications are refused", arguments: storages)
    func duplicates(storage: Storage) async throws {
        try await Self.with(storage) { t in
            let planID = try await Self.plan(t)
            let sameID = try await Self.run(t, planID: planID, [Self.row(1), Self.row(2), Self.row(1, ["手机号码": "13700000001"])])
            #expect(sameID.errors.map(\.code) == ["duplicate_in_file"] && sameID.errors[0].row == 4)
            #expect(sameID.errors[0].messageZH.contains("与第 2 行"))
            let sameMobile = try await Self.run(t, planID: planID, [Self.row(1), Self.row(2, ["手机号码": String(format: "139%08d", 1)])])
            #expect(sameMobile.errors.map(\.code) == ["duplicate_in_file"] && sameMobile.errors[0].column == "手机号码")

            // Imported once; the same person again (another file) is refused; a new person in that file is not imported either.
            #expect(try await Self.run(t, planID: planID, [Self.row(1)]).imported == 1)
            let again = try await Self.run(t, planID: planID, [Self.row(7), Self.row(1)])
            #expect(again.errors.map(\.code) == ["already_applied"] && again.errors[0].row == 3)
            #expect(try await StoredApplication.query(on: t.db).count() == 1)
            // Someone else's mobile number is refused for a new person.
            let taken = try await Self.run(t, planID: planID, [Self.row(8, ["手机号码": String(format: "139%08d", 1)])])
            #expect(taken.errors.map(\.code) == ["mobile_taken"])
        }
    }

    @Test("a person the body already knows gets only a new application, on their existing account", arguments: storages)
    func knownPerson(storage: Storage) async throws {
        try await Self.with(storage) { t in
            let first = try await Self.plan(t)
            let second = try await ExamFixture.publishedPlan(t, staffSuffix: "2")
            #expect(try await Self.run(t, planID: first, [Self.row(1), Self.row(2)]).newCandidates == 2)
            // Row 2 of the new file is the person of row 3 of the first file; row 3 is someone new.
            let report = try await Self.run(t, planID: second, [Self.row(2), Self.row(5)])
            #expect(report.errors.isEmpty && report.imported == 2 && report.newCandidates == 1)
            #expect(try await CandidateProfile.query(on: t.db).count() == 3)
            let known = try #require(try await CandidateProfile.query(on: t.db).filter(\.$fullName == "考生2").first())
            let applications = try await StoredApplication.query(on: t.db).filter(\.$candidateID == known.userID).all()
            #expect(Set(applications.map(\.planID)) == [first, second])
        }
    }

    @Test("the header must hold every required column once; a file with only a header imports nothing", arguments: storages)
    func header(storage: Storage) async throws {
        try await Self.with(storage) { t in
            let planID = try await Self.plan(t)
            let missing = try await Self.run(t, planID: planID, [["张三"]], header: ["姓名", "备注"])
            #expect(missing.errors.first?.code == "missing_columns")
            #expect(missing.errors.first?.messageZH.contains("证件号码") == true)
            let twice = try await Self.run(t, planID: planID, [], header: Self.header + ["姓名"])
            #expect(twice.errors.first?.code == "duplicate_column")
            let starred = try await Self.run(t, planID: planID, [Self.row(1)], header: Self.header.map { $0 + "*" })
            #expect(starred.imported == 1)
            let empty = try await Self.run(t, planID: planID, [])
            #expect(empty.errors.map(\.code) == ["no_rows"])
        }
    }

    @Test("dates are read as YYYY-MM-DD, with slashes or dots, in Chinese, or as Excel serial numbers")
    func dates() {
        #expect(RegistrationImport.date("2016-07-01")?.description == "2016-07-01")
        #expect(RegistrationImport.date("2016/7/1")?.description == "2016-07-01")
        #expect(RegistrationImport.date("2016.07.01")?.description == "2016-07-01")
        #expect(RegistrationImport.date("2016年7月1日")?.description == "2016-07-01")
        #expect(RegistrationImport.date("42552")?.description == "2016-07-01")
        #expect(RegistrationImport.date("42552.5")?.description == "2016-07-01")
        #expect(RegistrationImport.date("2016-02-30") == nil)
        #expect(RegistrationImport.date("16-07-01") == nil && RegistrationImport.date("2016-07-01x") == nil && RegistrationImport.date("2016--1") == nil)
        #expect(RegistrationImport.date("7") == nil)
        #expect(RegistrationImport.level("三级/高级工") == 3 && RegistrationImport.level("高级工") == 3 && RegistrationImport.level("5") == 5)
    }

    @Test("cells lose the spaces a spreadsheet leaves around them, full-width and no-break spaces too, and nothing else")
    func trimming() {
        #expect(" 张三 ".trimmed == "张三" && "\t张三\n".trimmed == "张三")
        #expect("\u{3000}张三\u{3000}".trimmed == "张三" && "\u{00A0}电工\u{2003}".trimmed == "电工")
        #expect("张 三".trimmed == "张 三" && "张三".trimmed == "张三" && "ab".trimmed == "ab")
        #expect("".trimmed == "" && " \u{3000} ".trimmed == "")
        // Not whitespace: the byte-order mark, a zero-width space, and an ideograph just above the ideographic space.
        #expect("\u{FEFF}x\u{200B}".trimmed == "\u{FEFF}x\u{200B}" && "\u{3001}".trimmed == "\u{3001}")
        for scalar in (0...0x3100).compactMap(Unicode.Scalar.init) where scalar.properties.isWhitespace {
            #expect(scalar.mayBeWhitespace, "U+\(String(scalar.value, radix: 16))")
        }
    }

    @Test("a school's final-year students import with their expected graduation date; the plan's capacity and window hold", arguments: storages)
    func finalYearCapacityWindow(storage: Storage) async throws {
        try await Self.with(storage) { t in
            let planID = try await Self.plan(t)
            let finalYear = try await Self.run(t, planID: planID, [Self.row(1, ["学历": "高职", "专业与本职业关系": "本专业", "学历状态": "应届",
                                                                                "毕业日期": "2027-06-30", "本职业工作开始日期": ""])])
            #expect(finalYear.errors.isEmpty && finalYear.imported == 1)
            let graduatedFuture = try await Self.run(t, planID: planID, [Self.row(2, ["学历": "高职", "专业与本职业关系": "本专业", "毕业日期": "2027-06-30"])])
            #expect(graduatedFuture.errors.map(\.code) == ["future_date"])

            // The plan takes 100: a file that would bring it to 101 imports nothing.
            let many = try await Self.run(t, planID: planID, (10..<110).map { Self.row($0) })
            #expect(many.errors.map(\.code) == ["over_capacity"])
            #expect(try await StoredApplication.query(on: t.db).count() == 1)

            // After registration closes, nothing is imported.
            t.time.advance(by: 40 * 86_400)
            await #expect(throws: DomainError.self) { _ = try await Self.run(t, planID: planID, [Self.row(3)]) }
        }
    }

    @Test("the profile JSON written by the import reads back as the same profile, quotes and control characters included")
    func profileJSON() throws {
        var p = RawApplicantProfile()
        p.asOf = "2026-11-27"
        p.intendsToWork = true
        p.work = [.init(relation: "same", from: "2016-07-01", to: nil), .init(relation: "related", from: "2010-03-01", to: "2016-06-30")]
        p.certificates = [.init(kind: "qualification", relation: "same", level: 4, issuedOn: "2020-06-30", number: "11\"3\\2\n0\u{1}")]
        p.education = [.init(type: "junior-college", majorRelation: "related", status: "final-year", assessed: false, graduatedOn: nil)]
        p.titles = [.init(grade: "intermediate", relation: "same", obtainedOn: "2021-01-01"), .init(grade: "junior", relation: "same", obtainedOn: nil)]
        let back = try JSONDecoder().decode(RawApplicantProfile.self, from: Data(p.json.utf8))
        let encoder = JSONEncoder()
        encoder.outputFormatting = .sortedKeys
        #expect(String(decoding: try encoder.encode(back), as: UTF8.self) == String(decoding: try encoder.encode(p), as: UTF8.self))
        #expect(back.certificates?.first?.number == "11\"3\\2\n0\u{1}")
    }

    @Test("the import's fast identifiers and hashes are the ones the rest of the product reads")
    func fastIdentifiersMatch() throws {
        // Accounts are found by keyed hash later (sign-up claims a batch account), so the import's hasher must agree.
        let sealer = try #require(ContentSealer(base64: ContentSealer.newKeyBase64()))
        let hasher = sealer.keyedHasher(purpose: "id-number")
        for value in ["11010519491231002X", "", "王小明 13800138000", String(repeating: "长", count: 300)] {
            #expect(hasher(value) == sealer.keyedHash(value, purpose: "id-number"))
        }
        #expect(hasher("a") != sealer.keyedHasher(purpose: "contact")("a"))
        // The import seals with its own nonces and without Data; the profile pages open what it sealed, bound to its context.
        let nonce = [UInt8](repeating: 7, count: 12)
        let sealed = try sealer.seal("11010519491231002X", context: "candidate-id:x", randomNonce: nonce[...])
        #expect(String(decoding: try sealer.open(sealed, context: "candidate-id:x"), as: UTF8.self) == "11010519491231002X")
        #expect(Data(base64Encoded: sealed)?.prefix(12) == Data(nonce) && Data(base64Encoded: sealed)?.count == 12 + 18 + 16)
        #expect(throws: (any Error).self) { try sealer.open(sealed, context: "candidate-id:y") }
        // UUIDs are stored as Foundation's upper-case text on SQLite; the import's ids must read back as UUIDs.
        var random = RandomBytes(count: 8)
        var ids: [UUID] = []
        for _ in 0..<200 {
            let id = random.uuid()
            #expect(id.text == id.uuidString)
            #expect(UUID(uuidString: id.text) == id)
            #expect(id.uuidString.dropFirst(14).first == "7")  // version 7: time-ordered
            ids.append(id)
        }
        // Distinct, and in order as SQLite compares the stored text, so the imports append to the id indexes.
        #expect(Set(ids).count == 200 && ids.map(\.uuidString) == ids.map(\.uuidString).sorted())
        let later = RandomBytes(count: 16)
        var copy = later
        #expect(copy.uuid().uuidString.prefix(8) >= ids[0].uuidString.prefix(8))
        let username = random.hex(count: 8)
        #expect(username.count == 16 && username.allSatisfy { $0.isHexDigit && !$0.isUppercase })
    }
}
