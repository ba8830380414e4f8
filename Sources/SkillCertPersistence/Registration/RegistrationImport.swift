import FluentKit
import SQLKit
import FluentSQLiteDriver
import Foundation
import Crypto
import SkillCertCore

/// Batch registration (集体报名): an employer or school submits many applicants to one plan in a spreadsheet.
/// Every row is checked — required columns, the ID check digit, dates, enumerations, duplicates within the file and
/// against the plan's existing applications — and the file is imported whole or not at all. Rows arrive in chunks
/// from a streaming reader, are checked and written inside one transaction, and any error rolls everything back.
public enum RegistrationImport {
    /// A template column: its header, whether it is required, and what to write in it.
    public struct Column: Sendable {
        public var key: Key
        public var header: String
        public var required: Bool
        public var note: String
    }

    public enum Key: String, Sendable, CaseIterable {
        case name, idType, idNumber, mobile, employer, level, workFrom, education, majorRelation, educationStatus, graduatedOn,
             certificateLevel, certificateKind, certificateIssuedOn, certificateNumber, titleGrade, titleObtainedOn
    }

    public static let columns: [Column] = [
        Column(key: .name, header: "姓名", required: true, note: "与证件一致，最多 50 个字符"),
        Column(key: .idType, header: "证件类型", required: true, note: CandidateAccounts.idTypes.map(\.zh).joined(separator: "、")),
        Column(key: .idNumber, header: "证件号码", required: true, note: "居民身份证为 18 位，校验码按 GB 11643 检查"),
        Column(key: .mobile, header: "手机号码", required: true, note: "11 位手机号码"),
        Column(key: .employer, header: "工作单位", required: true, note: "最多 100 个字符"),
        Column(key: .level, header: "申报等级", required: true, note: "如 四级、三级/高级工 或 3"),
        Column(key: .workFrom, header: "本职业工作开始日期", required: false, note: "YYYY-MM-DD；至今仍在本职业工作"),
        Column(key: .education, header: "学历", required: false, note: SchoolType.allCases.map(\.nameZH).joined(separator: "、")),
        Column(key: .majorRelation, header: "专业与本职业关系", required: false, note: "本专业、相关、其他（填写学历时必填）"),
        Column(key: .educationStatus, header: "学历状态", required: false, note: "已毕业（默认）、应届 或 在读"),
        Column(key: .graduatedOn, header: "毕业日期", required: false, note: "YYYY-MM-DD（已毕业时必填；应届可填预计毕业日期）"),
        Column(key: .certificateLevel, header: "已有证书等级", required: false, note: "本职业已取得的证书等级，如 四级"),
        Column(key: .certificateKind, header: "证书类型", required: false, note: "技能等级证书 或 职业资格证书（默认技能等级证书）"),
        Column(key: .certificateIssuedOn, header: "证书发证日期", required: false, note: "YYYY-MM-DD（填写证书时必填）"),
        Column(key: .certificateNumber, header: "证书编号", required: false, note: "可选；旧版 16 位职业资格证书编号亦可"),
        Column(key: .titleGrade, header: "职称", required: false, note: "初级、中级、高级（本职业相关）"),
        Column(key: .titleObtainedOn, header: "职称取得日期", required: false, note: "YYYY-MM-DD（填写职称时必填）"),
    ]

    /// A problem with one cell, one row, or (row 0) the file.
    public struct RowError: Sendable, Equatable, Codable {
        public var row: Int
        public var column: String
        public var code: String
        public var messageZH: String
        public var messageEN: String

        public init(row: Int, column: String, code: String, zh: String, en: String) {
            self.row = row
            self.column = column
            self.code = code
            self.messageZH = zh
            self.messageEN = en
        }
    }

    /// The outcome: the number imported, or every problem found (and nothing imported).
    public struct Report: Sendable {
        public var imported: Int
        public var newCandidates: Int
        public var errors: [RowError]
        public var batchID: UUID?
        public var rows: Int
        /// Seconds spent checking rows, looking up the database, and writing (for the benchmark).
        public var timings: [String: Double] = [:]

        public init(imported: Int, newCandidates: Int, errors: [RowError], batchID: UUID?, rows: Int) {
            self.imported = imported
            self.newCandidates = newCandidates
            self.errors = errors
            self.batchID = batchID
            self.rows = rows
        }
    }

    /// At most this many problems are listed; the count says how many more there were.
    public static let errorLimit = 1000
    static let chunkSize = 500

    /// Imports the rows into the plan. The first row must be the header. Errors from the reader (a damaged file)
    /// propagate after everything is rolled back.
    ///
    /// With `direct` (a SQLite file) the transaction runs on a connection of its own with prepared statements
    /// (`SQLiteDirectWrites`); otherwise on `db` through Fluent. The checks and their results are the same.
    public static func run<Rows: AsyncSequence & Sendable>(planID: UUID, fileName: String, fileSHA256: String, rows: Rows, actor: AuditActor,
                                                sealer: ContentSealer, on db: any Database, direct: SQLiteDirectWrites? = nil,
                                                time: any TimeSource,
                                                progress: (@Sendable (Int) -> Void)? = nil) async throws -> Report where Rows.Element == [TableRow] {
        let plan = try await PlanStore.find(planID, on: db)
        let p = try plan.plan()
        guard [.published].contains(plan.statusValue) else {
            throw DomainError.conflict(code: "plan_not_published", zh: "只能向已发布的认定计划批量报名", en: "the plan is not published")
        }
        let today = time.now().chinaLocalDate
        guard today >= p.registrationOpens, today <= p.registrationCloses else {
            throw DomainError.conflict(code: "registration_closed", zh: "该计划当前不在报名时间内（\(p.registrationOpens)～\(p.registrationCloses)）",
                                       en: "registration for this plan is not open")
        }
        let standard = try await StandardStore.find(id: plan.standardID, on: db).standard()
        let context = Context(plan: p, standard: EligibilityEngine.described(standard), today: time.now().chinaLocalDate, sealer: sealer,
                              idHash: sealer.keyedHasher(purpose: "id-number"), contactHash: sealer.keyedHasher(purpose: "contact"))
        let batch = Batch(planID: planID, id: UUID(), fileName: fileName, fileSHA256: fileSHA256,
                          payment: (p.feeYuan > 0 ? PaymentStatus.unpaid : .notRequired).rawValue, capacity: p.capacity, actor: actor, time: time)
        do {
            if let direct {
                return try await AuditLog.chainGate.run {
                    try await direct.transaction { connection in
                        try await direct.reading { reader in
                            try await importRows(rows, context: context, batch: batch,
                                                 into: DirectWriter(connection: connection, reader: reader, actor: actor, time: time), progress: progress)
                        }
                    }
                }
            }
            return try await AuditLog.transaction(on: db, actor: actor, time: time) { audit in
                try await BulkInsert.beginLargeWrite(audit.db)
                do {
                    let report = try await importRows(rows, context: context, batch: batch, into: FluentWriter(audit: audit), progress: progress)
                    try await BulkInsert.endLargeWrite(audit.db)
                    return report
                } catch {
                    try? await BulkInsert.endLargeWrite(audit.db)
                    throw error
                }
            }
        } catch let rejected as Rejected {
            var errors = rejected.errors
            if rejected.total > errors.count {
                errors.append(RowError(row: 0, column: "", code: "more_errors", zh: "另有 \(rejected.total - errors.count) 处错误未列出",
                                       en: "\(rejected.total - errors.count) more problems not listed"))
            }
            return Report(imported: 0, newCandidates: 0, errors: errors, batchID: nil, rows: rejected.rows)
        }
    }

    /// What one import writes besides the rows: the batch it records and who made it.
    struct Batch: Sendable {
        let planID: UUID
        let id: UUID
        let fileName: String
        let fileSHA256: String
        /// Every application's payment status: unpaid where the plan has a fee.
        let payment: String
        let capacity: Int
        let actor: AuditActor
        let time: any TimeSource
    }

    /// Checks and writes every row inside the writer's transaction; throws `Rejected` (so that it rolls back) when any
    /// row has a problem.
    static func importRows<Rows: AsyncSequence & Sendable>(_ rows: Rows, context: Context, batch: Batch, into writer: any ImportWriter,
                                                           progress: (@Sendable (Int) -> Void)?) async throws -> Report
    where Rows.Element == [TableRow] {
        var state = State()
        let clock = ContinuousClock()
        var timings: [String: Duration] = [:]
        // Three stages overlap: chunk N+1 is checked (CPU work on every core but one) while chunk N is deduplicated in
        // file order and handed to the writer, which writes earlier chunks on the transaction's connection.
        // Up to `writesAhead` chunks wait for the writer, each write task starting when the one before it
        // is done, so the checking goes on while SQLite writes.
        var pending: [Task<Written, any Error>] = []
        let writesAhead = 3
        func settle(keeping: Int = 0) async throws {
            while pending.count > keeping { try await settleOldest() }
        }
        func settleOldest() async throws {
            let write = pending.removeFirst()
            let mark = clock.now
            let done = try await write.value
            timings["write (waited)", default: .zero] += clock.now - mark
            timings[writer.looksUpAside ? "lookup (waited by the writer)" : "lookup (in the writer)", default: .zero] += done.lookup
            timings["write (in the writer)", default: .zero] += done.writing
            state.imported += done.imported
            state.newCandidates += done.created
            for e in done.errors { state.add(e) }
        }
        // A chunk's checked rows, deduplicated and handed to the writer.
        func write(_ checking: Task<[Checked], Never>) async throws {
            let mark = clock.now
            var prepared: [Prepared] = []
            for c in await checking.value {
                if let ok = deduplicate(c, state: &state) { prepared.append(ok) }
            }
            timings["check (waited)", default: .zero] += clock.now - mark
            try await settle(keeping: writesAhead - 1)
            progress?(state.rows)
            let rowsToWrite = prepared
            let checkedClean = state.errors.isEmpty
            let previous = pending.last
            // With its own connection the chunk's lookup starts now, in chunk order, while earlier chunks are written.
            let aside = writer.looksUpAside ? Task { try await writer.lookUp(rowsToWrite, planID: batch.planID) } : nil
            pending.append(Task {
                // One writer at a time on the transaction's connection, in file order.
                let before: Written?
                do {
                    before = try await previous?.value
                } catch {
                    _ = await aside?.result
                    throw error
                }
                // Once a problem is known nothing more is written (it will all roll back), but every chunk
                // is still looked up so the report lists every row that is already registered.
                let clean = checkedClean && (before?.clean ?? true)
                let start = ContinuousClock.now
                let (kept, errors) = if let aside { try await aside.value } else { try await writer.lookUp(rowsToWrite, planID: batch.planID) }
                let lookup = ContinuousClock.now - start
                guard clean, errors.isEmpty else { return Written(imported: 0, created: 0, errors: errors, lookup: lookup, clean: false) }
                let rows = Self.rows(kept, batch: batch)
                let writing = ContinuousClock.now
                try await writer.insert(rows)
                return Written(imported: rows.applications.count, created: rows.users.count, errors: [], lookup: lookup, clean: true,
                               writing: ContinuousClock.now - writing)
            })
        }
        var checking: Task<[Checked], Never>?
        do {
            for try await chunk in rows {
                var dataRows: [TableRow] = []
                for row in chunk {
                    if state.header == nil {
                        state.header = try headerMap(row, errors: &state.errors)
                        continue
                    }
                    dataRows.append(row)
                }
                state.rows += dataRows.count
                // Rows are checked in parallel, then deduplicated in file order.
                let (header, rowsToCheck) = (state.header ?? [:], dataRows)
                let next = Task { await checkInParallel(rowsToCheck, context: context, header: header) }
                if let checking { try await write(checking) }
                checking = next
            }
            if let checking { try await write(checking) }
            try await settle()
        } catch {
            // Never leave a write running on the transaction's connection after it is rolled back (nor a lookup on the
            // reading connection after it is closed: each write task awaits its chunk's lookup whatever happens).
            for write in pending { _ = try? await write.value }
            throw error
        }
        if state.errors.isEmpty, batch.capacity > 0 {
            let active = try await writer.activeApplications(planID: batch.planID)
            if active > batch.capacity {
                state.add(RowError(row: 0, column: "", code: "over_capacity",
                                   zh: "本计划限报 \(batch.capacity) 人，导入后将有 \(active) 人，超出 \(active - batch.capacity) 人",
                                   en: "the plan takes \(batch.capacity); this file would bring it to \(active)"))
            }
        }
        if state.header == nil {
            state.add(RowError(row: 0, column: "", code: "empty_file", zh: "文件中没有表头和数据", en: "the file has no header and no rows"))
        } else if state.rows == 0 {
            state.add(RowError(row: 0, column: "", code: "no_rows", zh: "文件中没有报名数据（只有表头）", en: "the file has a header but no rows"))
        }
        // Problems found by the writer arrive a chunk late: list them all in row order.
        if !state.errors.isEmpty {
            throw Rejected(errors: state.errors.enumerated().sorted { ($0.element.row, $0.offset) < ($1.element.row, $1.offset) }.map(\.element),
                           rows: state.rows, total: state.errorCount)
        }
        let record = RegistrationBatch()
        record.id = batch.id
        record.planID = batch.planID
        record.fileName = String(batch.fileName.suffix(200))
        record.fileSHA256 = batch.fileSHA256
        record.rows = state.imported
        record.importedBy = batch.actor.id
        record.createdAt = batch.time.now()
        try await writer.finish(record, event: AuditEvent(
            action: "registration.import", targetType: "plan", targetID: batch.planID.uuidString,
            details: "batch \(batch.id.uuidString): \(state.imported) application(s), \(state.newCandidates) new candidate(s) from \(batch.fileName) (sha256 \(batch.fileSHA256))"))
        var report = Report(imported: state.imported, newCandidates: state.newCandidates, errors: [], batchID: batch.id, rows: state.rows)
        report.timings = timings.mapValues { Double($0.components.seconds) + Double($0.components.attoseconds) / 1e18 }
        return report
    }

    struct Rejected: Error {
        var errors: [RowError]
        var rows: Int
        var total: Int
    }

    struct State {
        var header: [Key: Int]?
        var errors: [RowError] = []
        var errorCount = 0
        var rows = 0
        var imported = 0
        var newCandidates = 0
        /// ID-number hash → first row, and mobile hash → (row, ID hash), for duplicates within the file.
        var seenIDs: [String: Int] = [:]
        var seenMobiles: [String: (row: Int, id: String)] = [:]

        mutating func add(_ e: RowError) {
            errorCount += 1
            if errors.count < RegistrationImport.errorLimit { errors.append(e) }
        }
    }

    /// A checked row, ready to write: the new account's id, the sealed numbers and the profile JSON are made while
    /// checking, in parallel, so the single writer only binds and inserts.
    struct Prepared {
        var row: Int
        var name: String
        var idType: String
        var idHash: String
        var idMasked: String
        var birthDate: String?
        var sex: String?
        var mobileHash: String
        var employer: String
        var level: Int
        var eligible: Bool
        var explanation: String
        /// The account created when the person is new; the sealed numbers are bound to it.
        var newUserID: UUID
        var username: String
        var idCipher: String
        var phoneCipher: String
        var phoneMasked: String
        /// The profile as the candidate's background, and as evaluated for this application (with `asOf`).
        var backgroundJSON: String
        var profileJSON: String
        /// The person's account when the ID number is already known; then only the application is written.
        var existingUser: UUID?
    }

    /// Maps header texts to columns; unknown headers are ignored, missing required ones and repeats are errors.
    static func headerMap(_ row: TableRow, errors: inout [RowError]) throws -> [Key: Int] {
        var map: [Key: Int] = [:]
        var problems: [RowError] = []
        for (index, text) in row.cells {
            let header = text.trimmingCharacters(in: .whitespacesAndNewlines).replacingOccurrences(of: "*", with: "")
            guard let column = columns.first(where: { $0.header == header }) else { continue }
            if map[column.key] != nil {
                problems.append(RowError(row: row.number, column: header, code: "duplicate_column", zh: "表头“\(header)”出现了两次",
                                         en: "the column \(header) appears twice"))
            }
            map[column.key] = index
        }
        let missing = columns.filter { $0.required && map[$0.key] == nil }.map(\.header)
        if !missing.isEmpty {
            problems.append(RowError(row: row.number, column: missing.joined(separator: "、"), code: "missing_columns",
                                     zh: "缺少必填列：\(missing.joined(separator: "、"))（请使用下载的模板，表头在第一行）",
                                     en: "required columns are missing: \(missing.joined(separator: ", "))"))
        }
        if !problems.isEmpty { throw Rejected(errors: problems, rows: 0, total: problems.count) }
        return map
    }

    /// What a row is checked against.
    struct Context {
        let plan: CertificationPlan
        let standard: OccupationalStandard
        let today: LocalDate
        let sealer: ContentSealer
        let idHash: @Sendable (String) -> String
        let contactHash: @Sendable (String) -> String

        /// Everything about one row that needs no other row: run on several rows at once.
        func check(_ row: TableRow, header: [Key: Int], random: inout RandomBytes) -> Checked {
            var errors: [RowError] = []
            var failed = false
            func value(_ key: Key) -> String {
                guard let i = header[key] else { return "" }
                return (row.cells[i] ?? "").trimmed
            }
            func fail(_ key: Key, _ code: String, _ zh: String, _ en: String) {
                failed = true
                let header = columns.first { $0.key == key }!.header
                errors.append(RowError(row: row.number, column: header, code: code, zh: "第 \(row.number) 行“\(header)”：\(zh)",
                                       en: "row \(row.number), \(header): \(en)"))
            }
            for column in columns where column.required && value(column.key).isEmpty {
                fail(column.key, "required", "不能为空", "required")
            }
            let name = value(.name)
            if name.count > 50 { fail(.name, "too_long", "不能超过 50 个字符", "at most 50 characters") }
            let employer = value(.employer)
            if employer.count > 100 { fail(.employer, "too_long", "不能超过 100 个字符", "at most 100 characters") }
            for (key, text) in [(Key.name, name), (.employer, employer)] where text.containsHiddenControls {
                fail(key, "invalid_characters", "含有不可见的控制字符", "contains invisible control characters")
            }

            let typeText = value(.idType)
            let idType = CandidateAccounts.idTypes.first { $0.zh == typeText || $0.key == typeText }?.key
            if idType == nil && !typeText.isEmpty {
                fail(.idType, "unknown_value", "“\(typeText)”不是可选的证件类型", "unknown document type \(typeText)")
            }
            let number = ResidentID.normalized(value(.idNumber))
            var birth: String?
            var sex: String?
            if !number.isEmpty, let idType {
                if ["resident-id", "residence-permit"].contains(idType) {
                    switch ResidentID.parse(number, today: today) {
                    case .success(let id):
                        birth = id.birthDate.description
                        sex = id.sex.rawValue
                    case .failure(let problem):
                        fail(.idNumber, problem.code, problem.messageZH, problem.messageEN)
                    }
                } else if !(5...30).contains(number.count) || !number.allSatisfy({ $0.isASCII && ($0.isLetter || $0.isNumber) }) {
                    fail(.idNumber, "invalid_format", "证件号码应为 5–30 位字母或数字", "5–30 letters or digits")
                }
            }
            let idHash = self.idHash(number)
            let enteredMobile = value(.mobile)
            let mobile = enteredMobile.utf8.contains { $0 == UInt8(ascii: " ") || $0 == UInt8(ascii: "-") }
                ? enteredMobile.filter { $0 != " " && $0 != "-" } : enteredMobile
            var mobileHash = ""
            if !mobile.isEmpty {
                if case .mobile = ContactAddress(mobile) {
                    mobileHash = contactHash(mobile)
                } else {
                    fail(.mobile, "invalid_format", "应为 11 位手机号码", "an 11-digit mobile number")
                }
            }
            let levelText = value(.level)
            let level = RegistrationImport.level(levelText)
            if !levelText.isEmpty {
                if let level, !plan.levels.contains(level) {
                    fail(.level, "level_not_offered", "本计划不含\(Level(level).shortName)（可报：\(plan.levels.sorted(by: >).map { Level($0).shortName }.joined(separator: "、"))）",
                         "the plan does not offer level \(level)")
                } else if level == nil {
                    fail(.level, "unknown_value", "“\(levelText)”不是有效的等级", "unknown level \(levelText)")
                }
            }

            func date(_ key: Key, requiredWith other: Key? = nil, futureAllowed: Bool = false) -> String? {
                let text = value(key)
                if text.isEmpty {
                    if let other, !value(other).isEmpty { fail(key, "required", "填写了“\(columns.first { $0.key == other }!.header)”时必填", "required") }
                    return nil
                }
                guard let d = RegistrationImport.date(text) else {
                    fail(key, "invalid_date", "“\(text)”不是有效日期（应为 YYYY-MM-DD）", "not a YYYY-MM-DD date: \(text)")
                    return nil
                }
                if d > today && !futureAllowed { fail(key, "future_date", "日期 \(d) 晚于今天", "\(d) is in the future") }
                return d.description
            }
            var background = RawApplicantProfile()
            background.intendsToWork = true
            if let from = date(.workFrom) { background.work = [.init(relation: "same", from: from, to: nil)] }
            let educationText = value(.education)
            if !educationText.isEmpty {
                let type = RegistrationImport.schoolNames[educationText]
                if type == nil { fail(.education, "unknown_value", "“\(educationText)”不是可选的学历", "unknown education \(educationText)") }
                let relation = RegistrationImport.relation(value(.majorRelation))
                if relation == nil { fail(.majorRelation, value(.majorRelation).isEmpty ? "required" : "unknown_value", "应为 本专业、相关 或 其他", "same, related or other") }
                let statusText = value(.educationStatus)
                let status: String? = switch statusText {
                case "", "已毕业", "毕业", "graduated": "graduated"
                case "应届", "应届毕业", "final-year": "final-year"
                case "在读", "enrolled": "enrolled"
                default: nil
                }
                if status == nil { fail(.educationStatus, "unknown_value", "应为 已毕业、应届 或 在读", "graduated, final-year or enrolled") }
                let graduated = status == "graduated" ? date(.graduatedOn, requiredWith: .education) : date(.graduatedOn, futureAllowed: true)
                if let type, let relation, let status {
                    background.education = [.init(type: type.rawValue, majorRelation: relation, status: status, assessed: false,
                                                  graduatedOn: graduated)]
                }
            }
            let certText = value(.certificateLevel)
            if !certText.isEmpty {
                let certLevel = RegistrationImport.level(certText)
                if certLevel == nil { fail(.certificateLevel, "unknown_value", "“\(certText)”不是有效的等级", "unknown level \(certText)") }
                let certNumber = value(.certificateNumber)
                let kindText = value(.certificateKind)
                let kind: String?
                switch kindText {
                case "": kind = certNumber.count == 16 && certNumber.allSatisfy(\.isNumber) ? "qualification" : "skill-level"
                case "技能等级证书", "skill-level": kind = "skill-level"
                case "职业资格证书", "qualification": kind = "qualification"
                default:
                    kind = nil
                    fail(.certificateKind, "unknown_value", "应为 技能等级证书 或 职业资格证书", "skill-level or qualification")
                }
                if certNumber.count > 40 { fail(.certificateNumber, "too_long", "不能超过 40 个字符", "at most 40 characters") }
                let issued = date(.certificateIssuedOn, requiredWith: .certificateLevel)
                if let certLevel, let kind {
                    background.certificates = [.init(kind: kind, relation: "same", level: certLevel, issuedOn: issued,
                                                     number: certNumber.isEmpty ? nil : certNumber)]
                }
            }
            let titleText = value(.titleGrade)
            if !titleText.isEmpty {
                let grade = TitleGrade.allCases.first { $0.nameZH == titleText || $0.rawValue == titleText || $0.nameZH + "职称" == titleText }
                if grade == nil { fail(.titleGrade, "unknown_value", "应为 初级、中级 或 高级", "junior, intermediate or senior") }
                let obtained = date(.titleObtainedOn, requiredWith: .titleGrade)
                if let grade { background.titles = [.init(grade: grade.rawValue, relation: "same", obtainedOn: obtained)] }
            }
            let hashes = (id: number.isEmpty ? nil : idHash, mobile: mobileHash.isEmpty ? nil : mobileHash)
            guard !failed, let idType, let level else { return Checked(number: row.number, prepared: nil, errors: errors, hashes: hashes) }
            var evaluated = background
            evaluated.asOf = today.description
            evaluated.birthDate = birth
            guard let parsed = try? evaluated.parse(today: today),
                  let decision = EligibilityEngine.decide(parsed, standard: standard, level: Level(level)) else {
                fail(.level, "not_evaluable", "无法按申报条件判定，请检查日期", "cannot be evaluated; check the dates")
                return Checked(number: row.number, prepared: nil, errors: errors, hashes: hashes)
            }
            let userID = random.uuid()
            let body = background.jsonBody
            let prepared: Prepared
            do {
                prepared = Prepared(row: row.number, name: name, idType: idType, idHash: idHash,
                                    idMasked: ["resident-id", "residence-permit"].contains(idType) ? ResidentID.mask(number) : CandidateAccounts.maskDocument(number),
                                    birthDate: birth, sex: sex, mobileHash: mobileHash, employer: employer, level: level,
                                    eligible: decision.eligible, explanation: decision.explanationZH,
                                    newUserID: userID, username: "b" + random.hex(count: 8).dropLast(), // 15 hex digits, like other batch accounts
                                    idCipher: try sealer.seal(number, context: "candidate-id:" + userID.text, randomNonce: random.bytes(12)),
                                    phoneCipher: try sealer.seal(mobile, context: "candidate-phone:" + userID.text, randomNonce: random.bytes(12)),
                                    phoneMasked: ContactAddress.mobile(mobile).masked,
                                    backgroundJSON: RawApplicantProfile.json(asOf: nil, birthDate: nil, body: body),
                                    profileJSON: RawApplicantProfile.json(asOf: evaluated.asOf, birthDate: birth, body: body),
                                    existingUser: nil)
            } catch {
                fail(.idNumber, "seal_failed", "无法加密保存", "could not be encrypted")
                return Checked(number: row.number, prepared: nil, errors: errors, hashes: hashes)
            }
            return Checked(number: row.number, prepared: prepared, errors: errors, hashes: hashes)
        }
    }

    /// One row checked on its own: the prepared row or its problems, and the hashes the file-wide duplicate check needs.
    struct Checked {
        var number: Int
        var prepared: Prepared?
        var errors: [RowError]
        var hashes: (id: String?, mobile: String?)
    }

    /// The checks that need the rows before: the same ID number or mobile number earlier in the file.
    static func deduplicate(_ c: Checked, state: inout State) -> Prepared? {
        var prepared = c.prepared
        for e in c.errors { state.add(e) }
        func duplicate(_ column: String, _ first: Int) {
            prepared = nil
            let what = column == "证件号码" ? "证件号码" : "手机号码"
            state.add(RowError(row: c.number, column: column, code: "duplicate_in_file", zh: "第 \(c.number) 行“\(column)”：与第 \(first) 行的\(what)重复",
                               en: "row \(c.number), \(column): same \(column == "证件号码" ? "document" : "mobile") number as row \(first)"))
        }
        if let id = c.hashes.id {
            if let first = state.seenIDs[id] { duplicate("证件号码", first) } else { state.seenIDs[id] = c.number }
        }
        if let mobile = c.hashes.mobile {
            if let first = state.seenMobiles[mobile], first.id != (c.hashes.id ?? "") {
                duplicate("手机号码", first.row)
            } else if state.seenMobiles[mobile] == nil {
                state.seenMobiles[mobile] = (c.number, c.hashes.id ?? "")
            }
        }
        return prepared
    }

    /// Checks rows on every core but one (see `OnEveryCore`); results come back in file order. The writer needs the
    /// core left: with the checking on every core it got two thirds of one, and the whole import waited for it.
    static func checkInParallel(_ rows: [TableRow], context: Context, header: [Key: Int]) async -> [Checked] {
        await OnEveryCore.map(rows, sparing: 1) { slice in
            var random = RandomBytes(count: slice.count * 48)
            return slice.map { context.check($0, header: header, random: &random) }
        }
    }

    /// What the writer did with a chunk.
    struct Written: Sendable {
        var imported: Int
        var created: Int
        var errors: [RowError]
        var lookup: Duration
        /// No problem in this chunk or any before it: what follows may be written.
        var clean: Bool
        /// How long the writer took to insert the chunk's rows (on a busy machine, time it waited for a core included).
        var writing: Duration = .zero
    }

    /// Sorts out rows whose person already applied to the plan, and rows whose mobile number belongs to someone else,
    /// from what the database holds: `idOwners` (ID hash → account), `mobileOwners` (mobile hash → the owner's ID hash,
    /// "" for none) and `applied` (accounts with an active application to the plan). Returns the other rows, with the
    /// existing account of a known person, and a problem for each of these.
    static func sortOut(_ prepared: [Prepared], idOwners: [String: UUID], mobileOwners: [String: String],
                        applied: Set<UUID>) -> (kept: [Prepared], errors: [RowError]) {
        var kept: [Prepared] = []
        var errors: [RowError] = []
        for var row in prepared {
            row.existingUser = idOwners[row.idHash]
            if let user = row.existingUser, applied.contains(user) {
                errors.append(RowError(row: row.row, column: "证件号码", code: "already_applied",
                                   zh: "第 \(row.row) 行“证件号码”：该考生已报名本计划", en: "row \(row.row): this person already applied to the plan"))
                continue
            }
            if row.existingUser == nil, let owner = mobileOwners[row.mobileHash], owner != row.idHash {
                errors.append(RowError(row: row.row, column: "手机号码", code: "mobile_taken",
                                   zh: "第 \(row.row) 行“手机号码”：该号码已被其他考生使用", en: "row \(row.row): the mobile number belongs to another candidate"))
                continue
            }
            kept.append(row)
        }
        return (kept, errors)
    }

    /// A chunk's rows for each table: new candidates (accounts the candidate can claim later) and their role and
    /// profile, then every row's application.
    struct Rows: Sendable {
        var users: [[BulkInsert.Cell]] = [], roles: [[BulkInsert.Cell]] = [], profiles: [[BulkInsert.Cell]] = [], applications: [[BulkInsert.Cell]] = []

        static let userColumns = ["id", "username", "display_name", "password_hash", "is_active", "failed_logins", "locked_until", "last_login_at",
                                  "created_at"]
        static let roleColumns = ["id", "user_id", "role"]
        static let profileColumns = ["id", "user_id", "full_name", "id_type", "id_number_cipher", "id_number_hash", "id_number_masked", "birth_date",
                                     "sex", "phone_cipher", "phone_hash", "phone_masked", "email", "employer", "updated_at", "background", "photo_key",
                                     "photo_media_type"]
        static let applicationColumns = ["id", "plan_id", "candidate_id", "level", "status", "profile", "engine_eligible", "engine_explanation",
                                         "decision_reason", "more_deadline", "reviewed_by", "overridden", "created_at", "updated_at", "employer",
                                         "payment_status", "receipt_number", "batch_id"]
    }

    static func rows(_ prepared: [Prepared], batch: Batch) -> Rows {
        let now = batch.time.now()
        var random = RandomBytes(count: prepared.count * 48)
        var rows = Rows()
        for row in prepared {
            let userID = row.existingUser ?? row.newUserID
            if row.existingUser == nil {
                rows.users.append([.uuid(userID), .text(row.username), .text(row.name), .text(Accounts.unclaimedPasswordHash), .bool(true), .int(0),
                                   .date(nil), .date(nil), .date(now)])
                rows.roles.append([.uuid(random.uuid()), .uuid(userID), .text(Role.candidate.rawValue)])
                rows.profiles.append([.uuid(random.uuid()), .uuid(userID), .text(row.name), .text(row.idType), .text(row.idCipher), .text(row.idHash),
                                      .text(row.idMasked), .text(row.birthDate), .text(row.sex), .text(row.phoneCipher), .text(row.mobileHash),
                                      .text(row.phoneMasked), .text(nil), .text(row.employer), .date(now), .text(row.backgroundJSON), .text(nil), .text(nil)])
            }
            rows.applications.append([.uuid(random.uuid()), .uuid(batch.planID), .uuid(userID), .int(row.level),
                                      .text(StoredApplication.Status.submitted.rawValue), .text(row.profileJSON), .bool(row.eligible),
                                      .text(row.explanation), .text(nil), .text(nil), .uuid(nil), .bool(false), .date(now), .date(now),
                                      .text(row.employer), .text(batch.payment), .text(nil), .uuid(batch.id)])
        }
        return rows
    }

    /// Application statuses that no longer hold a place in a plan.
    static let inactiveStatuses = [StoredApplication.Status.rejected.rawValue, StoredApplication.Status.withdrawn.rawValue]

    /// `四级`, `四级/中级工`, `中级工`, `4`.
    public static func level(_ text: String) -> Int? {
        let t = text.trimmed
        if let n = Int(t), Level(n).isKnown { return n }
        return levelNames[t]
    }

    /// Every name a level is written with (short, long, and each half of the long one), looked up once per cell.
    static let levelNames: [String: Int] = {
        var names: [String: Int] = [:]
        for (n, name) in Level.catalogue {
            for text in [name.short, name.long] + name.long.split(separator: "/").map(String.init) where names[text] == nil { names[text] = n }
        }
        return names
    }()

    /// School types by the names a file may use (Chinese name, key, and each half of a `A/B` name).
    static let schoolNames: [String: SchoolType] = {
        var names: [String: SchoolType] = [:]
        for type in SchoolType.allCases {
            for text in [type.nameZH, type.rawValue] + type.nameZH.split(separator: "/").map(String.init) where names[text] == nil { names[text] = type }
        }
        return names
    }()

    static func relation(_ text: String) -> String? {
        switch text.trimmed {
        case "本专业", "相同", "same": "same"
        case "相关", "相关专业", "related": "related"
        case "其他", "其它", "other": "other"
        default: nil
        }
    }

    /// - / . 年 月 日
    static let dateSeparators: Set<UInt32> = [0x2D, 0x2F, 0x2E, 0x5E74, 0x6708, 0x65E5]

    /// `2016-07-01`, `2016/7/1`, `2016.7.1`, `2016年7月1日`, or an Excel serial number (a date cell).
    public static func date(_ text: String) -> LocalDate? {
        let t = text.trimmed
        // A byte test: `String.contains(_:)` with a string argument is Foundation's text search, slow per cell.
        if !t.utf8.contains(UInt8(ascii: "-")), let serial = Double(t) {
            return (20_000...80_000).contains(serial) ? LocalDate(excelSerial: serial) : nil
        }
        // Digits in three groups, separated by - / . or 年 月 (日 at the end): scanned, not searched and replaced.
        var groups: [Int] = []
        var current = 0
        var digits = 0
        var firstGroupDigits = 0
        for scalar in t.unicodeScalars {
            if scalar.value >= 48 && scalar.value <= 57 {
                current = current * 10 + Int(scalar.value - 48)
                digits += 1
                guard digits <= 4 else { return nil }
            } else if Self.dateSeparators.contains(scalar.value) {
                guard digits > 0 else { return nil }
                if groups.isEmpty { firstGroupDigits = digits }
                groups.append(current)
                current = 0
                digits = 0
            } else {
                return nil
            }
        }
        if digits > 0 {
            if groups.isEmpty { firstGroupDigits = digits }
            groups.append(current)
        }
        guard groups.count == 3, firstGroupDigits == 4 else { return nil }
        let (y, m, d) = (groups[0], groups[1], groups[2])
        return LocalDate(year: y, month: m, day: d)
    }
}

extension String {
    /// Without leading and trailing whitespace (spaces, tabs, line breaks, full-width spaces); a fast path for cells.
    var trimmed: String {
        let scalars = unicodeScalars
        // Most cells have no whitespace at either end: two scalars tell (names and employers start and end in CJK).
        guard let head = scalars.first, let tail = scalars.last else { return self }
        if !head.mayBeWhitespace && !tail.mayBeWhitespace { return self }
        guard let first = scalars.firstIndex(where: { !$0.properties.isWhitespace }) else { return "" }
        let last = scalars.lastIndex(where: { !$0.properties.isWhitespace })!
        if first == scalars.startIndex && last == scalars.index(before: scalars.endIndex) { return self }
        return String(scalars[first...last])
    }
}

extension Unicode.Scalar {
    /// False for every scalar that is certainly not whitespace: visible ASCII, and everything above U+3000 (the
    /// ideographic space, the last of Unicode's White_Space characters); between them the property decides.
    var mayBeWhitespace: Bool {
        value <= 0x20 || (value >= 0x7f && value <= 0x3000 && properties.isWhitespace)
    }
}

extension RawApplicantProfile {
    /// The applicant-profile JSON, written directly: JSONEncoder on Linux costs more than the rest of an import row.
    var json: String { Self.json(asOf: asOf, birthDate: birthDate, body: jsonBody) }

    /// The profile JSON with `asOf` and `birthDate` in front of a body from `jsonBody` (shared by two renderings of a row).
    static func json(asOf: String?, birthDate: String?, body: String) -> String {
        var w = JSONText.Writer(capacity: body.utf8.count + 48)
        w.raw("{\"asOf\":")
        w.string(asOf)
        w.raw(",\"birthDate\":")
        w.string(birthDate)
        w.raw(",")
        w.raw(body)
        w.raw("}")
        return w.text
    }

    /// Every member after `birthDate`, without the braces.
    var jsonBody: String {
        var w = JSONText.Writer(capacity: 512)
        w.raw("\"apprenticeshipCompleted\":")
        w.bool(apprenticeshipCompleted)
        w.raw(",\"intendsToWork\":")
        w.bool(intendsToWork)
        w.raw(",\"work\":[")
        for (i, e) in (work ?? []).enumerated() {
            w.separator(i)
            w.raw("{\"relation\":"); w.string(e.relation)
            w.raw(",\"from\":"); w.string(e.from)
            w.raw(",\"to\":"); w.string(e.to)
            w.raw("}")
        }
        w.raw("],\"certificates\":[")
        for (i, e) in (certificates ?? []).enumerated() {
            w.separator(i)
            w.raw("{\"kind\":"); w.string(e.kind)
            w.raw(",\"relation\":"); w.string(e.relation)
            w.raw(",\"level\":"); w.int(e.level)
            w.raw(",\"issuedOn\":"); w.string(e.issuedOn)
            w.raw(",\"number\":"); w.string(e.number)
            w.raw("}")
        }
        w.raw("],\"education\":[")
        for (i, e) in (education ?? []).enumerated() {
            w.separator(i)
            w.raw("{\"type\":"); w.string(e.type)
            w.raw(",\"majorRelation\":"); w.string(e.majorRelation)
            w.raw(",\"status\":"); w.string(e.status)
            w.raw(",\"assessed\":"); w.bool(e.assessed)
            w.raw(",\"graduatedOn\":"); w.string(e.graduatedOn)
            w.raw("}")
        }
        w.raw("],\"titles\":[")
        for (i, e) in (titles ?? []).enumerated() {
            w.separator(i)
            w.raw("{\"grade\":"); w.string(e.grade)
            w.raw(",\"relation\":"); w.string(e.relation)
            w.raw(",\"obtainedOn\":"); w.string(e.obtainedOn)
            w.raw("}")
        }
        w.raw("]")
        return w.text
    }
}

/// Random bytes, handed out as time-ordered UUIDs, nonces or hex text. A batch import needs several identifiers per
/// row, and asking the kernel for every eight bytes (what `SystemRandomNumberGenerator` and `SymmetricKey(size:)` do)
/// costs more than the row's insert; so one fresh 256-bit key from the system encrypts zeros with AES-GCM, whose
/// keystream (AES in counter mode) is the random stream.
struct RandomBytes {
    private var bytes: [UInt8]
    private var next = 0
    /// Milliseconds since 1970 when this stream began, and how many UUIDs it has handed out.
    private let millisecond: UInt64
    private var counter: UInt32 = 0

    init(count: Int) {
        let zeros = [UInt8](repeating: 0, count: max(16, count))
        let key = SymmetricKey(size: .bits256)
        bytes = (try? AES.GCM.seal(zeros, using: key, nonce: AES.GCM.Nonce()).ciphertext).map { Array($0) }
            ?? (0..<zeros.count).map { _ in UInt8.random(in: .min ... .max) }
        millisecond = UInt64(max(0, Date().timeIntervalSince1970 * 1000))
    }

    private mutating func take(_ n: Int) -> ArraySlice<UInt8> {
        if next + n > bytes.count {
            let count = counter
            self = RandomBytes(count: max(n, bytes.count))
            counter = count
        }
        defer { next += n }
        return bytes[next..<next + n]
    }

    /// A UUID version 7 (RFC 9562): the stream's start time in milliseconds, a 30-bit counter, then random bits. Ids
    /// that grow in order are appended to the primary-key and foreign-key indexes instead of splitting pages all over
    /// them — the bulk of SQLite's work in a large import.
    mutating func uuid() -> UUID {
        var b = Array(take(16))
        let t = millisecond, c = counter
        counter &+= 1
        b[0] = UInt8(truncatingIfNeeded: t >> 40); b[1] = UInt8(truncatingIfNeeded: t >> 32); b[2] = UInt8(truncatingIfNeeded: t >> 24)
        b[3] = UInt8(truncatingIfNeeded: t >> 16); b[4] = UInt8(truncatingIfNeeded: t >> 8); b[5] = UInt8(truncatingIfNeeded: t)
        b[6] = 0x70 | UInt8(truncatingIfNeeded: (c >> 26) & 0x0f)
        b[7] = UInt8(truncatingIfNeeded: c >> 18)
        b[8] = 0x80 | UInt8(truncatingIfNeeded: (c >> 12) & 0x3f)
        b[9] = UInt8(truncatingIfNeeded: c >> 4)
        b[10] = UInt8(truncatingIfNeeded: (c & 0x0f) << 4) | (b[10] & 0x0f)
        return UUID(uuid: (b[0], b[1], b[2], b[3], b[4], b[5], b[6], b[7], b[8], b[9], b[10], b[11], b[12], b[13], b[14], b[15]))
    }

    mutating func bytes(_ count: Int) -> ArraySlice<UInt8> { take(count) }

    mutating func hex(count: Int) -> String {
        take(count).hexString
    }
}
