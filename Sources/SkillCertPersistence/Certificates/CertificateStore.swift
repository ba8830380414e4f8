import Crypto
import FluentKit
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

    /// Passing candidates of the plan, final after publicity, who have no certificate yet.
    public static func pending(planID: UUID, on db: any Database) async throws -> [ResultRecord] {
        let results = try await ResultRecord.query(on: db).filter(\.$planID == planID).filter(\.$final == true)
            .filter(\.$verdict == ResultRule.Verdict.passed.code).all()
        let issued = Set(try await CertificateRecord.query(on: db).filter(\.$planID == planID).all().map(\.resultID))
        return results.filter { !issued.contains($0.id!) }
    }

    public struct Progress: Sendable {
        public var done: Int
        public var total: Int
    }

    /// Issues a certificate to every passing candidate of a finalised plan who has none, in chunks of `chunk` (one
    /// audited transaction each, one audit entry per certificate). `progress` hears after each chunk.
    @discardableResult
    public static func issue(planID: UUID, actor: AuditActor, sealer: ContentSealer, signer: CredentialSigner, links: Links, chunk: Int = 500,
                             on db: any Database, time: any TimeSource, progress: @Sendable (Progress) async -> Void = { _ in }) async throws -> [CertificateRecord] {
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
        let total = todo.count
        var issued: [CertificateRecord] = []
        await progress(Progress(done: 0, total: total))
        for start in stride(from: 0, to: todo.count, by: max(chunk, 1)) {
            let part = Array(todo[start..<min(start + chunk, todo.count)])
            issued += try await issueChunk(part, plan: plan, body: body, standard: standard, workType: workType, actor: actor, sealer: sealer,
                                           signer: signer, links: links, on: db, time: time)
            await progress(Progress(done: issued.count, total: total))
        }
        return issued
    }

    static func issueChunk(_ results: [ResultRecord], plan: StoredPlan, body: CertificationBody, standard: OccupationalStandard, workType: String,
                           actor: AuditActor, sealer: ContentSealer, signer: CredentialSigner, links: Links,
                           on db: any Database, time: any TimeSource) async throws -> [CertificateRecord] {
        let profiles = Dictionary(try await CandidateProfile.query(on: db).filter(\.$userID ~~ results.map(\.candidateID)).all().map { ($0.userID, $0) },
                                  uniquingKeysWith: { a, _ in a })
        // The site: where the candidate sat the plan's last session.
        let sessions = try await ExamSession.query(on: db).filter(\.$planID == plan.requireID()).all()
        let seats = try await SeatAssignment.query(on: db).filter(\.$sessionID ~~ sessions.compactMap(\.id)).filter(\.$candidateID ~~ results.map(\.candidateID)).all()
        let sessionSite = Dictionary(sessions.map { ($0.id!, ($0.siteCode, $0.heldOn)) }, uniquingKeysWith: { a, _ in a })
        var siteOf: [UUID: String] = [:]
        for seat in seats.sorted(by: { (sessionSite[$0.sessionID]?.1 ?? "") < (sessionSite[$1.sessionID]?.1 ?? "") }) {
            siteOf[seat.candidateID] = sessionSite[seat.sessionID]?.0
        }
        let today = time.now().chinaLocalDate
        let hasher = sealer.keyedHasher(purpose: "id-number")
        let sites = siteOf
        return try await AuditLog.transaction(on: db, actor: actor, time: time) { audit in
            // Issuing of the same plan may run twice at once: what the other has issued meanwhile is left alone.
            let done = Set(try await CertificateRecord.query(on: audit.db).filter(\.$resultID ~~ results.compactMap(\.id)).all().map(\.resultID))
            let results = results.filter { !done.contains($0.id!) }
            guard !results.isEmpty else { return [] }
            // Serials for each (site, level) in one step, then the status-list indexes.
            var groups: [String: [ResultRecord]] = [:]
            for r in results { groups["\(sites[r.candidateID] ?? body.sites.first?.code ?? "000000")|\(r.level)", default: []].append(r) }
            var numbers: [UUID: String] = [:]
            for (key, members) in groups {
                let parts = key.split(separator: "|").map(String.init)
                let first = try await takeSerials(members.count, bodyCode: body.code, siteCode: parts[0], year: today.year % 100, level: Int(parts[1])!, on: audit.db)
                for (i, r) in members.enumerated() {
                    let n = CertificateNumber(bodyType: body.type, bodyCode: body.code, provinceCode: body.provinceCode, siteCode: parts[0],
                                              year: today.year, level: r.level, serial: first + i)
                    if let problem = CertificateNumber.problem(bodyCode: body.code, provinceCode: body.provinceCode, siteCode: parts[0], level: r.level, serial: first + i) {
                        throw DomainError.conflict(code: "bad_number", zh: "无法编制证书编号：\(problem)", en: "cannot form a certificate number: \(problem)")
                    }
                    numbers[r.id!] = n.description
                }
            }
            let nextIndex = (try await CertificateRecord.query(on: audit.db).max(\.$statusIndex) ?? -1) + 1
            var records: [CertificateRecord] = []
            var credentials: [CertificateCredential] = []
            for (i, r) in results.enumerated() {
                guard let profile = profiles[r.candidateID], let cipher = profile.idNumberCipher else {
                    throw DomainError.conflict(code: "no_id_number", zh: "考生缺少证件号码，不能颁发证书", en: "a candidate has no ID number on record")
                }
                let idNumber = String(decoding: try sealer.open(cipher, context: "candidate-id:\(r.candidateID.uuidString)"), as: UTF8.self)
                let c = CertificateRecord()
                c.id = UUID()
                c.number = numbers[r.id!]!
                c.printSerial = 1
                c.planID = r.planID
                c.resultID = r.id!
                c.candidateID = r.candidateID
                c.fullName = profile.fullName
                c.idType = profile.idType ?? "resident-id"
                c.idMasked = profile.idNumberMasked ?? ""
                c.idCipher = try sealer.seal(Data(idNumber.utf8), context: "certificate-id:\(c.id!.uuidString)")
                c.idHash = hasher(idNumber)
                c.occupationCode = standard.occupation.code
                c.occupationName = standard.occupation.name
                c.workType = workType.isEmpty ? "--" : workType
                c.level = r.level
                c.issueDate = today.description
                c.bodyName = body.name
                c.siteCode = String(c.number.dropFirst(7).prefix(6))
                c.photoKey = profile.photoKey
                c.status = CertificateStatus.valid.rawValue
                c.statusIndex = nextIndex + i
                c.issuedAt = time.now()
                c.issuedBy = actor.id
                records.append(c)
                credentials.append(credential(for: c, idNumber: idNumber, links: links))
            }
            let (jwts, _) = try await signer.sign(credentials, on: audit.db, time: time)
            for (c, jwt) in zip(records, jwts) {
                c.credential = jwt
                try await c.create(on: audit.db)
                try await event(c, .issued, detail: "print 1", reason: "", actor: actor, on: audit.db, time: time)
                try await audit.record(AuditEvent(action: "certificate.issue", targetType: "certificate", targetID: c.number,
                                                  details: "\(c.fullName) \(c.idMasked) \(c.occupationName) \(Level(c.level).fullName); plan \(plan.number)"))
            }
            return records
        }
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

    /// The credential for a certificate: the holder is identified by a salted hash of the ID number.
    public static func credential(for c: CertificateRecord, idNumber: String, links: Links) -> CertificateCredential {
        let salt = String(c.number.suffix(8))
        let hash = SHA256.hash(data: Data((idNumber + salt).utf8)).map { String(format: "%02x", $0) }.joined()
        let issued = TimeSlot(date: LocalDate(iso: c.issueDate) ?? .distantPast, startMinute: 0, minutes: 0).start
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
        return CertificateCredential(context: CertificateCredential.contexts, id: links.verify(c.number), type: ["VerifiableCredential", "OpenBadgeCredential"],
                                     name: "职业技能等级证书", issuer: .init(id: links.base, type: ["Profile"], name: c.bodyName),
                                     validFrom: ISO8601DateFormatter().string(from: issued), credentialSubject: subject, credentialStatus: statuses,
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
