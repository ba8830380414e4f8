import Crypto
import FluentKit
import FluentSQLiteDriver
import Foundation
import SQLKit
import SkillCertCore

/// Certificates: issued in batches for a plan whose results are final, numbered per (body, site, year, level) inside
/// the issuing transaction, signed as credentials, distributed, replaced, suspended, revoked and reinstated — every
/// step audited.
public enum CertificateStore {
    /// Where the public finds a certificate: `{base}/verify/{number}`; the credential's ids hang off the same base.
    public struct Links: Sendable {
        public var base: String
        public init(base: String) { self.base = base.hasSuffix("/") ? String(base.dropLast()) : base }
        public func verify(_ number: String) -> String { "\(base)/verify/\(number)" }
        public func statusList(_ purpose: String) -> String { "\(base)/credentials/status/\(purpose)" }
    }

    /// A passing result, final after publicity, whose candidate has no certificate yet.
    public struct Pending: Sendable {
        public var resultID: UUID
        public var candidateID: UUID
        public var level: Int
    }

    /// Passing candidates of the plan, final after publicity, who have no certificate yet (in a stable order).
    public static func pending(planID: UUID, on db: any Database) async throws -> [Pending] {
        let rows = try await db.sql().raw("""
            SELECT r.id, r.candidate_id, r.level FROM \(ident: ResultRecord.schema) r
            WHERE r.plan_id = \(bind: planID) AND r.final = \(bind: true) AND r.verdict = \(bind: ResultRule.Verdict.passed.code)
            AND NOT EXISTS (SELECT 1 FROM \(ident: CertificateRecord.schema) c WHERE c.result_id = r.id)
            ORDER BY r.id
            """).all()
        return try rows.map {
            Pending(resultID: try $0.decode(column: "id", as: UUID.self), candidateID: try $0.decode(column: "candidate_id", as: UUID.self),
                    level: try $0.decode(column: "level", as: Int.self))
        }
    }

    public struct Progress: Sendable {
        public var done: Int
        public var total: Int
        /// Seconds spent so far in each step (reading holders, preparing on every core, writing), for the benchmark.
        public var seconds: [String: Double] = [:]
    }

    /// Issues a certificate to every passing candidate of a finalised plan who has none, in chunks of `chunk` (one
    /// audited transaction each, one audit entry per certificate). `progress` hears after each chunk. Returns the
    /// numbers issued, in order.
    @discardableResult
    public static func issue(planID: UUID, actor: AuditActor, sealer: ContentSealer, signer: CredentialSigner, links: Links, chunk: Int = 5000,
                             on db: any Database, time: any TimeSource, progress: @Sendable (Progress) async -> Void = { _ in }) async throws -> [String] {
        guard let plan = try await StoredPlan.find(planID, on: db) else { throw DomainError.notFound(what: "plan") }
        guard try await PublicityRecord.query(on: db).filter(\.$planID == planID).filter(\.$finalizedAt != nil).count() > 0 else {
            throw DomainError.conflict(code: "not_final", zh: "公示结束、成绩确认后才能颁发证书", en: "results become final after publicity")
        }
        guard let body = try await BodyStore.load(on: db) else {
            throw DomainError.conflict(code: "no_body", zh: "请先在“机构信息”中填写机构类型、代码与省份", en: "set up the certification body first")
        }
        let standard = try await StandardStore.find(id: plan.standardID, on: db).standard()
        let workType = (try? plan.plan().workType).flatMap { $0 } ?? ""
        let todo = try await pending(planID: planID, on: db)
        let key = try await signer.signingKey(on: db, time: time)
        let batch = Batch(planID: planID, planNumber: plan.number, body: body, occupationCode: standard.occupation.code,
                          occupationName: standard.occupation.name, workType: workType.isEmpty ? "--" : workType, actor: actor,
                          sealer: sealer, key: key, links: links)
        var issued: [String] = []
        let steps = StepClock()
        await progress(Progress(done: 0, total: todo.count))
        let parts = stride(from: 0, to: todo.count, by: max(chunk, 1)).map { Array(todo[$0..<min($0 + max(chunk, 1), todo.count)]) }
        // Each chunk's transaction also reads the next chunk's holders, on its connection while the cores prepare.
        var mark = ContinuousClock.now
        var holders = try await Self.holders(of: parts.first ?? [], planID: planID, on: db)
        steps.add("read holders", since: &mark)
        do {
            for (i, part) in parts.enumerated() {
                let done = try await issueChunk(part, holders: holders, next: i + 1 < parts.count ? parts[i + 1] : [], batch: batch, steps: steps,
                                                on: db, time: time)
                issued += done.numbers
                holders = done.next
                await progress(Progress(done: issued.count, total: todo.count, seconds: steps.seconds))
            }
        } catch {
            try? await BulkInsert.endLargeWrite(db)
            throw error
        }
        // The chunks keep SQLite's large-write settings between them (see `issueChunk`); the defaults again.
        try await BulkInsert.endLargeWrite(db)
        return issued
    }

    /// What every certificate of one issuing run shares.
    struct Batch: Sendable {
        var planID: UUID
        var planNumber: String
        var body: CertificationBody
        var occupationCode: String
        var occupationName: String
        var workType: String
        var actor: AuditActor
        var sealer: ContentSealer
        var key: CredentialSigner.Key
        var links: Links
    }

    /// The holder's details a certificate copies from the candidate's profile.
    struct Holder: Sendable {
        var fullName: String
        var idType: String
        var idCipher: String?
        var idMasked: String
        var photoKey: String?
    }

    /// A certificate ready to write: its row and its audit entry, made on every core (unsealing and sealing the ID
    /// number, the keyed hash, the credential's JSON and its Ed25519 signature).
    struct Prepared: Sendable {
        var number: String
        var row: [BulkInsert.Cell]
        var event: [BulkInsert.Cell]
        var audit: AuditEvent
    }

    /// The holders of a chunk, and the site where each sat the plan's last session.
    struct Holders: Sendable {
        var people: [UUID: Holder] = [:]
        var sites: [UUID: String] = [:]
    }

    static func holders(of results: [Pending], planID: UUID, on db: any Database) async throws -> Holders {
        guard !results.isEmpty else { return Holders() }
        let candidates = results.map(\.candidateID)
        let sql = try db.sql()
        var out = Holders()
        for row in try await sql.select().columns("user_id", "full_name", "id_type", "id_number_cipher", "id_number_masked", "photo_key")
            .from(CandidateProfile.schema).where("user_id", .in, candidates).all() {
            let user = try row.decode(column: "user_id", as: UUID.self)
            guard out.people[user] == nil else { continue }
            out.people[user] = Holder(fullName: try row.decode(column: "full_name", as: String.self),
                                      idType: try row.decode(column: "id_type", as: String?.self) ?? "resident-id",
                                      idCipher: try row.decode(column: "id_number_cipher", as: String?.self),
                                      idMasked: try row.decode(column: "id_number_masked", as: String?.self) ?? "",
                                      photoKey: try row.decode(column: "photo_key", as: String?.self))
        }
        let sessions = try await ExamSession.query(on: db).filter(\.$planID == planID).all()
        if !sessions.isEmpty {
            let sessionSite = Dictionary(sessions.map { ($0.id!, ($0.siteCode, $0.heldOn)) }, uniquingKeysWith: { a, _ in a })
            let seats = try await sql.select().columns("session_id", "candidate_id").from(SeatAssignment.schema)
                .where("session_id", .in, sessions.compactMap(\.id)).where("candidate_id", .in, candidates).all()
                .map { (session: try $0.decode(column: "session_id", as: UUID.self), candidate: try $0.decode(column: "candidate_id", as: UUID.self)) }
            for seat in seats.sorted(by: { (sessionSite[$0.session]?.1 ?? "") < (sessionSite[$1.session]?.1 ?? "") }) {
                out.sites[seat.candidate] = sessionSite[seat.session]?.0
            }
        }
        return out
    }

    /// Issues one chunk in one audited transaction and reads the holders of the `next` chunk on its connection.
    static func issueChunk(_ results: [Pending], holders: Holders, next: [Pending], batch: Batch, steps: StepClock, on db: any Database,
                           time: any TimeSource) async throws -> (numbers: [String], next: Holders) {
        for r in results where holders.people[r.candidateID]?.idCipher == nil {
            throw DomainError.conflict(code: "no_id_number", zh: "考生缺少证件号码，不能颁发证书", en: "a candidate has no ID number on record")
        }
        let now = time.now()
        let today = now.chinaLocalDate
        let (sites, people) = (holders.sites, holders.people)
        let body = batch.body
        let planID = batch.planID
        let start = ContinuousClock.now
        let issued: ([String], Holders, ContinuousClock.Instant) = try await AuditLog.transaction(on: db, actor: batch.actor, time: time) { audit in
            var mark = start
            // SQLite's large-write settings stay on this connection until the whole run is done: dropping the page
            // cache after each chunk would make the next one read its indexes back from the WAL.
            try await BulkInsert.beginLargeWrite(audit.db)
            // Issuing of the same plan may run twice at once: what the other has issued meanwhile is left alone.
            let sql = try audit.db.sql()
            let done = Set(try await sql.select().column("result_id").from(CertificateRecord.schema)
                .where("result_id", .in, results.map(\.resultID)).all().map { try $0.decode(column: "result_id", as: UUID.self) })
            let results = results.filter { !done.contains($0.resultID) }
            guard !results.isEmpty else {
                return ([], try await Self.holders(of: next, planID: planID, on: audit.db), mark)
            }
            // Serials for each (site, level) in one step, then the status-list indexes.
            var groups: [String: [Int]] = [:]
            for (i, r) in results.enumerated() { groups["\(sites[r.candidateID] ?? body.sites.first?.code ?? "000000")|\(r.level)", default: []].append(i) }
            var numbers = [String](repeating: "", count: results.count)
            for (key, members) in groups.sorted(by: { $0.key < $1.key }) {
                let parts = key.split(separator: "|").map(String.init)
                let level = Int(parts[1])!
                let first = try await takeSerials(members.count, bodyCode: body.code, siteCode: parts[0], year: today.year % 100, level: level, on: audit.db)
                if let problem = CertificateNumber.problem(bodyCode: body.code, provinceCode: body.provinceCode, siteCode: parts[0], level: level,
                                                           serial: first + members.count - 1) {
                    throw DomainError.conflict(code: "bad_number", zh: "无法编制证书编号：\(problem)", en: "cannot form a certificate number: \(problem)")
                }
                for (offset, i) in members.enumerated() {
                    numbers[i] = CertificateNumber(bodyType: body.type, bodyCode: body.code, provinceCode: body.provinceCode, siteCode: parts[0],
                                                   year: today.year, level: level, serial: first + offset).description
                }
            }
            let nextIndex = try await sql.raw("SELECT MAX(status_index) AS m FROM \(ident: CertificateRecord.schema)").first()?
                .decode(column: "m", as: Int?.self).map { $0 + 1 } ?? 0
            let items = results.enumerated().map { (i, r) in (r, numbers[i], nextIndex + i) }
            steps.add("numbers", since: &mark)
            // Prepared on every core in parts; the transaction's connection meanwhile reads the next chunk's holders,
            // then writes each part while the next is prepared, one statement at a time.
            let db = audit.db
            let nextHolders = Task { try await Self.holders(of: next, planID: planID, on: db) }
            var write: Task<Void, any Error> = Task { _ = try await nextHolders.value }
            var written: [String] = []
            do {
                for start in stride(from: 0, to: items.count, by: 1000) {
                    let part = Array(items[start..<min(start + 1000, items.count)])
                    let prepared = try await OnEveryCore.map(part) { slice in
                        var random = RandomBytes(count: slice.count * 48)
                        let hasher = batch.sealer.keyedHasher(purpose: "id-number")
                        return slice.map { (r, number, statusIndex) in
                            Result { try prepare(r, number: number, statusIndex: statusIndex, holder: people[r.candidateID]!, batch: batch, issued: now,
                                                 today: today, random: &random, hasher: hasher) }
                        }
                    }.map { try $0.get() }
                    steps.add("prepare and sign (every core)", since: &mark)
                    try await write.value
                    steps.add("write certificates, events and audit entries (waited)", since: &mark)
                    write = Task {
                        try await BulkInsert.rows(db, CertificateRecord.schema, prepared.map(\.row), columns: certificateColumns)
                        try await BulkInsert.rows(db, CertificateEvent.schema, prepared.map(\.event),
                                                  columns: ["id", "certificate_id", "kind", "detail", "reason", "by_user", "at"])
                        try await audit.record(prepared.map(\.audit))
                    }
                    written += prepared.map(\.number)
                }
                try await write.value
                steps.add("write certificates, events and audit entries (waited)", since: &mark)
            } catch {
                // Never leave a statement running on the transaction's connection after it is rolled back.
                _ = try? await write.value
                throw error
            }
            return (written, try await nextHolders.value, mark)
        }
        var end = issued.2
        steps.add("commit", since: &end)
        return (issued.0, issued.1)
    }

    static let certificateColumns = ["id", "number", "print_serial", "plan_id", "result_id", "candidate_id", "full_name", "id_type", "id_masked", "id_cipher",
                                     "id_hash", "occupation_code", "occupation_name", "work_type", "level", "issue_date", "body_name", "site_code", "photo_key",
                                     "status", "status_reason", "status_index", "credential", "issued_at", "issued_by"]

    static func prepare(_ r: Pending, number: String, statusIndex: Int, holder: Holder, batch: Batch, issued: Date, today: LocalDate,
                        random: inout RandomBytes, hasher: (String) -> String) throws -> Prepared {
        let id = random.uuid()
        let idNumber = String(decoding: try batch.sealer.open(holder.idCipher ?? "", context: "candidate-id:\(r.candidateID.uuidString)"), as: UTF8.self)
        let cipher = try batch.sealer.seal(Data(idNumber.utf8), context: "certificate-id:\(id.uuidString)", randomNonce: random.bytes(12))
        let siteCode = String(number.dropFirst(7).prefix(6))
        let content = CredentialContent(number: number, fullName: holder.fullName, occupationCode: batch.occupationCode, occupationName: batch.occupationName,
                                        workType: batch.workType, level: r.level, issueDate: today.description, bodyName: batch.body.name,
                                        statusIndex: statusIndex)
        let jwt = try batch.key.sign(json: credential(for: content, idNumber: idNumber, links: batch.links).json)
        let row: [BulkInsert.Cell] = [
            .uuid(id), .text(number), .int(1), .uuid(batch.planID), .uuid(r.resultID), .uuid(r.candidateID), .text(holder.fullName), .text(holder.idType),
            .text(holder.idMasked), .text(cipher), .text(hasher(idNumber)), .text(batch.occupationCode), .text(batch.occupationName), .text(batch.workType),
            .int(r.level), .text(today.description), .text(batch.body.name), .text(siteCode), .text(holder.photoKey), .text(CertificateStatus.valid.rawValue),
            .text(nil), .int(statusIndex), .text(jwt), .date(issued), .uuid(batch.actor.id),
        ]
        let event: [BulkInsert.Cell] = [.uuid(random.uuid()), .uuid(id), .text(CertificateEvent.Kind.issued.rawValue), .text("print 1"), .text(""),
                                        .uuid(batch.actor.id), .date(issued)]
        let audit = AuditEvent(action: "certificate.issue", targetType: "certificate", targetID: number,
                               details: "\(holder.fullName) \(holder.idMasked) \(batch.occupationName) \(Level(r.level).fullName); plan \(batch.planNumber)")
        return Prepared(number: number, row: row, event: event, audit: audit)
    }

    /// Takes `count` consecutive serials for (body, site, year, level); returns the first.
    static func takeSerials(_ count: Int, bodyCode: String, siteCode: String, year: Int, level: Int, on db: any Database) async throws -> Int {
        let sql = try db.sql()
        try await sql.raw("""
            INSERT INTO \(ident: CertificateSerial.schema) (id, body_code, site_code, year, level, last_serial)
            VALUES (\(bind: UUID()), \(bind: bodyCode), \(bind: siteCode), \(bind: year), \(bind: level), 0)
            ON CONFLICT (body_code, site_code, year, level) DO NOTHING
            """).run()
        let rows = try await sql.raw("""
            UPDATE \(ident: CertificateSerial.schema) SET last_serial = last_serial + \(bind: count)
            WHERE body_code = \(bind: bodyCode) AND site_code = \(bind: siteCode) AND year = \(bind: year) AND level = \(bind: level)
            RETURNING last_serial
            """).all()
        guard let last = try rows.first?.decode(column: "last_serial", as: Int.self) else { throw DomainError.notFound(what: "serial") }
        return last - count + 1
    }

    /// What a certificate's credential says (from the record, or from a certificate being issued).
    public struct CredentialContent: Sendable {
        public var number, fullName, occupationCode, occupationName, workType: String
        public var level: Int
        public var issueDate, bodyName: String
        public var statusIndex: Int

        public init(_ c: CertificateRecord) {
            self.init(number: c.number, fullName: c.fullName, occupationCode: c.occupationCode, occupationName: c.occupationName, workType: c.workType,
                      level: c.level, issueDate: c.issueDate, bodyName: c.bodyName, statusIndex: c.statusIndex)
        }

        init(number: String, fullName: String, occupationCode: String, occupationName: String, workType: String, level: Int, issueDate: String,
             bodyName: String, statusIndex: Int) {
            (self.number, self.fullName, self.occupationCode, self.occupationName, self.workType) = (number, fullName, occupationCode, occupationName, workType)
            (self.level, self.issueDate, self.bodyName, self.statusIndex) = (level, issueDate, bodyName, statusIndex)
        }
    }

    /// The credential for a certificate: the holder is identified by a salted hash of the ID number.
    public static func credential(for c: CredentialContent, idNumber: String, links: Links) -> CertificateCredential {
        let salt = String(c.number.suffix(8))
        let hash = SHA256.hash(data: Data((idNumber + salt).utf8)).withUnsafeBytes { $0.hexString }
        let date = LocalDate(iso: c.issueDate) ?? .distantPast
        let issued = TimeSlot(date: date, startMinute: 0, minutes: 0).start
        let level = Level(c.level).fullName
        let subject = CertificateCredential.Subject(
            type: ["AchievementSubject"], name: c.fullName,
            identifier: [.init(type: "IdentityObject", identityHash: "sha256$" + hash, identityType: "identifier", hashed: true, salt: salt)],
            achievement: .init(id: "\(links.base)/achievements/\(c.occupationCode)/\(c.level)", type: ["Achievement"], achievementType: "Certificate",
                               name: "\(c.occupationName)（\(c.workType)）\(level)", description: "职业技能等级证书：\(c.occupationName) \(level)",
                               criteria: .init(narrative: "按国家职业技能标准 \(c.occupationCode) 经职业技能等级认定合格"),
                               fieldOfStudy: c.occupationName, humanCode: c.number))
        let statuses = ["revocation", "suspension"].map { purpose in
            CertificateCredential.Status(id: "\(links.statusList(purpose))#\(c.statusIndex)", type: "BitstringStatusListEntry", statusPurpose: purpose,
                                         statusListIndex: String(c.statusIndex), statusListCredential: links.statusList(purpose))
        }
        // Midnight in China is 16:00 UTC the day before.
        let validFrom = AuditRecord.timestamp(issued).prefix(19) + "Z"
        return CertificateCredential(context: CertificateCredential.contexts, id: links.verify(c.number), type: ["VerifiableCredential", "OpenBadgeCredential"],
                                     name: "职业技能等级证书", issuer: .init(id: links.base, type: ["Profile"], name: c.bodyName),
                                     validFrom: String(validFrom), credentialSubject: subject, credentialStatus: statuses,
                                     iss: links.base, jti: links.verify(c.number), sub: "sha256$" + hash, iat: Int(issued.timeIntervalSince1970),
                                     nbf: Int(issued.timeIntervalSince1970))
    }

    static func event(_ c: CertificateRecord, _ kind: CertificateEvent.Kind, detail: String, reason: String, actor: AuditActor,
                      on db: any Database, time: any TimeSource) async throws {
        let e = CertificateEvent()
        e.certificateID = try c.requireID()
        e.kind = kind.rawValue
        e.detail = detail
        e.reason = reason
        e.byUser = actor.id
        e.at = time.now()
        try await e.create(on: db)
    }

    // MARK: After issue

    public static func find(number: String, on db: any Database) async throws -> CertificateRecord? {
        guard CertificateNumber.isValid(number) else { return nil }
        return try await CertificateRecord.query(on: db).filter(\.$number == number).first()
    }

    public static func events(_ c: CertificateRecord, on db: any Database) async throws -> [CertificateEvent] {
        try await CertificateEvent.query(on: db).filter(\.$certificateID == c.requireID()).sort(\.$at).all()
    }

    /// Records how the certificate reached the holder: collected (by whom), mailed (tracking number) or electronic.
    public static func distribute(_ c: CertificateRecord, kind: CertificateEvent.Kind, detail: String, actor: AuditActor,
                                  on db: any Database, time: any TimeSource) async throws {
        guard [.collected, .mailed, .electronic].contains(kind) else {
            throw ValidationFailure([FieldError(code: "invalid_kind", field: "kind", zh: "请选择发放方式", en: "choose how it was handed over")])
        }
        let text = detail.trimmingCharacters(in: .whitespacesAndNewlines)
        if kind == .mailed, text.isEmpty { throw ValidationFailure([.required("detail", label: "快递单号")]) }
        try await AuditLog.transaction(on: db, actor: actor, time: time) { audit in
            try await event(c, kind, detail: text, reason: "", actor: actor, on: audit.db, time: time)
            try await audit.record(AuditEvent(action: "certificate.\(kind.rawValue)", targetType: "certificate", targetID: c.number, details: text))
        }
    }

    /// A replacement (补发): the same number, the next print serial, with the reason.
    @discardableResult
    public static func replace(_ c: CertificateRecord, reason: String, actor: AuditActor, on db: any Database, time: any TimeSource) async throws -> CertificateRecord {
        let why = reason.trimmingCharacters(in: .whitespacesAndNewlines)
        guard !why.isEmpty else { throw ValidationFailure([.required("reason", label: "补发原因")]) }
        return try await AuditLog.transaction(on: db, actor: actor, time: time) { audit in
            guard let fresh = try await CertificateRecord.find(c.id, on: audit.db) else { throw DomainError.notFound(what: "certificate") }
            guard fresh.statusValue != .revoked else {
                throw DomainError.conflict(code: "revoked", zh: "已撤销的证书不能补发", en: "a revoked certificate is not replaced")
            }
            fresh.printSerial += 1
            try await fresh.save(on: audit.db)
            try await event(fresh, .replaced, detail: "print \(fresh.printSerial)", reason: why, actor: actor, on: audit.db, time: time)
            try await audit.record(AuditEvent(action: "certificate.replace", targetType: "certificate", targetID: fresh.number,
                                              reason: why, details: "print serial \(fresh.printSerial)"))
            return fresh
        }
    }

    /// Suspends, revokes or reinstates a certificate, with the reason. A revocation is final.
    @discardableResult
    public static func setStatus(_ c: CertificateRecord, to status: CertificateStatus, reason: String, actor: AuditActor,
                                 on db: any Database, time: any TimeSource) async throws -> CertificateRecord {
        let why = reason.trimmingCharacters(in: .whitespacesAndNewlines)
        guard !why.isEmpty else { throw ValidationFailure([.required("reason", label: "原因")]) }
        return try await AuditLog.transaction(on: db, actor: actor, time: time) { audit in
            guard let fresh = try await CertificateRecord.find(c.id, on: audit.db) else { throw DomainError.notFound(what: "certificate") }
            guard fresh.statusValue != .revoked else {
                throw DomainError.conflict(code: "revoked", zh: "证书已撤销，不能再更改状态", en: "a revoked certificate stays revoked")
            }
            guard fresh.statusValue != status else {
                throw DomainError.conflict(code: "unchanged", zh: "证书已是“\(status.nameZH)”状态", en: "already \(status.rawValue)")
            }
            let before = fresh.status
            fresh.status = status.rawValue
            fresh.statusReason = why
            try await fresh.save(on: audit.db)
            let kind: CertificateEvent.Kind = status == .valid ? .reinstated : status == .revoked ? .revoked : .suspended
            try await event(fresh, kind, detail: "", reason: why, actor: actor, on: audit.db, time: time)
            try await audit.record(AuditEvent(action: "certificate.\(kind.rawValue)", targetType: "certificate", targetID: fresh.number,
                                              reason: why, details: "\(before) → \(status.rawValue)"))
            return fresh
        }
    }

    // MARK: Status lists

    /// The status list bitstring of one purpose (`revocation` or `suspension`): bit i (most significant bit first) is
    /// set when certificate i is revoked (or suspended). At least 131,072 bits, as the W3C recommendation asks.
    public static func statusBits(purpose: String, on db: any Database) async throws -> [UInt8] {
        let status = purpose == "revocation" ? CertificateStatus.revoked : .suspended
        let indexes = try await CertificateRecord.query(on: db).filter(\.$status == status.rawValue).all().map(\.statusIndex)
        let maxIndex = try await CertificateRecord.query(on: db).max(\.$statusIndex) ?? 0
        var bytes = [UInt8](repeating: 0, count: max(16_384, (maxIndex + 8) / 8))
        for i in indexes { bytes[i / 8] |= UInt8(0x80 >> (i % 8)) }
        return bytes
    }

    // MARK: Public lookups

    /// What the public verification shows of a certificate.
    public struct PublicView: Sendable {
        public var number, status, fullName, idMasked, occupationName, workType: String
        public var level: Int
        public var issueDate, bodyName, credential: String

        init(number: String, status: String, fullName: String, idMasked: String, occupationName: String, workType: String, level: Int,
             issueDate: String, bodyName: String, credential: String) {
            (self.number, self.status, self.fullName, self.idMasked, self.occupationName) = (number, status, fullName, idMasked, occupationName)
            (self.workType, self.level, self.issueDate, self.bodyName, self.credential) = (workType, level, issueDate, bodyName, credential)
        }

        public init(_ c: CertificateRecord) {
            self.init(number: c.number, status: c.status, fullName: c.fullName, idMasked: c.idMasked, occupationName: c.occupationName,
                      workType: c.workType, level: c.level, issueDate: c.issueDate, bodyName: c.bodyName, credential: c.credential)
        }
    }

    /// The public view of a certificate by number: one indexed read of the columns shown, without building a model
    /// (this is the route anyone may call, as often as the rate limit allows). With `direct`, a SQLite file is read
    /// on the caller's thread, and through `db` only when that read is unavailable.
    public static func publicView(number: String, direct: SQLiteDirectReads? = nil, on db: any Database) async throws -> PublicView? {
        guard CertificateNumber.isValid(number) else { return nil }
        if let direct {
            let read = direct.first(publicViewSQL, text: number) { row in
                PublicView(number: row.text(0), status: row.text(1), fullName: row.text(2), idMasked: row.text(3), occupationName: row.text(4),
                           workType: row.text(5), level: row.integer(6), issueDate: row.text(7), bodyName: row.text(8), credential: row.text(9))
            }
            switch read {
            case .found(let view): return view
            case .missing: return nil
            case .unavailable: break
            }
        }
        // PostgreSQL, an in-memory SQLite database, or a direct read that was unavailable.
        guard let row = try await db.sql().raw("""
            SELECT number, status, full_name, id_masked, occupation_name, work_type, level, issue_date, body_name, credential
            FROM \(ident: CertificateRecord.schema) WHERE number = \(bind: number)
            """).first() else { return nil }
        return PublicView(number: try row.decode(column: "number", as: String.self), status: try row.decode(column: "status", as: String.self),
                          fullName: try row.decode(column: "full_name", as: String.self), idMasked: try row.decode(column: "id_masked", as: String.self),
                          occupationName: try row.decode(column: "occupation_name", as: String.self),
                          workType: try row.decode(column: "work_type", as: String.self), level: try row.decode(column: "level", as: Int.self),
                          issueDate: try row.decode(column: "issue_date", as: String.self), bodyName: try row.decode(column: "body_name", as: String.self),
                          credential: try row.decode(column: "credential", as: String.self))
    }


    /// The direct read's statement (SQLite's `?` parameter; the same columns, in this order, as the read through `db`).
    static let publicViewSQL = """
        SELECT number, status, full_name, id_masked, occupation_name, work_type, level, issue_date, body_name, credential
        FROM "\(CertificateRecord.schema)" WHERE number = ?
        """

    /// The public search: a name and the full ID number (through its keyed hash).
    public static func search(name: String, idNumber: String, sealer: ContentSealer, on db: any Database) async throws -> [CertificateRecord] {
        let hash = sealer.keyedHash(idNumber.trimmingCharacters(in: .whitespaces).uppercased(), purpose: "id-number")
        return try await CertificateRecord.query(on: db).filter(\.$idHash == hash).all()
            .filter { $0.fullName == name.trimmingCharacters(in: .whitespaces) }
    }

    /// Staff list: newest first, filtered by plan, status or a search (number, name).
    public static func list(planID: UUID?, status: CertificateStatus?, query: String, page: Int, perPage: Int,
                            on db: any Database) async throws -> (items: [CertificateRecord], total: Int) {
        var q = CertificateRecord.query(on: db)
        if let planID { q = q.filter(\.$planID == planID) }
        if let status { q = q.filter(\.$status == status.rawValue) }
        let text = query.trimmingCharacters(in: .whitespaces)
        if !text.isEmpty {
            q = q.group(.or) { $0.filter(\.$number == text).filter(\.$fullName == text) }
        }
        let total = try await q.count()
        let items = try await q.sort(\.$issuedAt, .descending).sort(\.$number).range(((page - 1) * perPage)..<(page * perPage)).all()
        return (items, total)
    }
}
