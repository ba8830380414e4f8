import Crypto
import FluentKit
import FluentSQLiteDriver
import Foundation
import SQLKit
import SkillCertCore

/// Certificates: issued in batches for a plan whose results are final, numbered per (body, site, year, level) from
/// serials each run reserves first (unused ones recorded with the reason), signed as credentials, distributed,
/// replaced, suspended, revoked and reinstated — every step audited.
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
            WHERE \(pendingCondition(planID)) ORDER BY r.id
            """).all()
        return try rows.map {
            Pending(resultID: try $0.decode(column: "id", as: UUID.self), candidateID: try $0.decode(column: "candidate_id", as: UUID.self),
                    level: try $0.decode(column: "level", as: Int.self))
        }
    }

    /// The results (`r`) of the plan's passing candidates, final after publicity, who have no certificate yet.
    static func pendingCondition(_ planID: UUID) -> SQLQueryString {
        """
        r.plan_id = \(bind: planID) AND r.final = \(bind: true) AND r.verdict = \(bind: ResultRule.Verdict.passed.code)
        AND NOT EXISTS (SELECT 1 FROM \(ident: CertificateRecord.schema) c WHERE c.result_id = r.id)
        """
    }

    /// How many of the plan's pending candidates have no ID number on record (or no profile): a certificate cannot be
    /// issued to them.
    static func withoutIDNumber(planID: UUID, on db: any Database) async throws -> Int {
        try await db.sql().raw("""
            SELECT COUNT(*) AS n FROM \(ident: ResultRecord.schema) r
            LEFT JOIN \(ident: CandidateProfile.schema) p ON p.user_id = r.candidate_id
            WHERE \(pendingCondition(planID)) AND p.id_number_cipher IS NULL
            """).first()?.decode(column: "n", as: Int.self) ?? 0
    }

    public struct Progress: Sendable {
        public var done: Int
        public var total: Int
        /// Seconds spent so far in each step (reading holders, preparing on every core, writing), for the benchmark.
        public var seconds: [String: Double] = [:]
    }

    /// Issues a certificate to every passing candidate of a finalised plan who has none. The run first reserves its
    /// serials and status-list indexes in one audited transaction (`CertificateReservation`), then issues in chunks of
    /// `chunk` (one audited transaction each, one audit entry per certificate), while parts are signed up to three
    /// ahead of the writer, across chunks and through each commit (`Signing`). When the run ends, serials it did not use
    /// are recorded with the reason. The holders' profiles are read on `reads` (by default `db`): on SQLite a handle
    /// on another connection reads them while `db`'s connection writes. `progress` hears after each chunk. Returns the
    /// numbers issued, in order.
    @discardableResult
    public static func issue(planID: UUID, actor: AuditActor, sealer: ContentSealer, signer: CredentialSigner, links: Links, chunk: Int = 5000,
                             on db: any Database, reads: (any Database)? = nil, time: any TimeSource,
                             progress: @Sendable (Progress) async -> Void = { _ in }) async throws -> [String] {
        guard let plan = try await StoredPlan.find(planID, on: db) else { throw DomainError.notFound(what: "plan") }
        guard try await PublicityRecord.query(on: db).filter(\.$planID == planID).filter(\.$finalizedAt != nil).count() > 0 else {
            throw DomainError.conflict(code: "not_final", zh: "公示结束、成绩确认后才能颁发证书", en: "results become final after publicity")
        }
        guard let body = try await BodyStore.load(on: db) else {
            throw DomainError.conflict(code: "no_body", zh: "请先在“机构信息”中填写机构类型、代码与省份", en: "set up the certification body first")
        }
        let standard = try await StandardStore.find(id: plan.standardID, on: db).standard()
        let workType = (try? plan.plan().workType).flatMap { $0 } ?? ""
        let steps = StepClock()
        var mark = ContinuousClock.now
        // The check for ID numbers reads the candidates' profiles on the other connection meanwhile.
        async let missing = withoutIDNumber(planID: planID, on: reads ?? db)
        let todo = try await pending(planID: planID, on: db)
        steps.add("find the passing candidates", since: &mark)
        let withoutID = try await missing
        steps.add("check ID numbers (waited)", since: &mark)
        guard withoutID == 0 else {
            throw DomainError.conflict(code: "no_id_number", zh: "考生缺少证件号码，不能颁发证书", en: "a candidate has no ID number on record")
        }
        let key = try await signer.signingKey(on: db, time: time)
        let batch = Batch(planID: planID, planNumber: plan.number, body: body, occupationCode: standard.occupation.code,
                          occupationName: standard.occupation.name, workType: workType.isEmpty ? "--" : workType, actor: actor,
                          sealer: sealer, key: key, links: links, issued: time.now())
        await progress(Progress(done: 0, total: todo.count))
        guard !todo.isEmpty else { return [] }
        steps.add("load the signing key", since: &mark)
        let reservation = try await reserve(todo, batch: batch, on: db, time: time)
        steps.add("reserve numbers", since: &mark)
        let items = todo.enumerated().map { Item(pending: $1, number: reservation.numbers[$0], statusIndex: reservation.statusFirst + $0) }
        let size = max(chunk, 1)
        let chunks = stride(from: 0, to: items.count, by: size).map { Array(items[$0..<min($0 + size, items.count)]) }
        let parts = chunks.enumerated().flatMap { c, items in
            stride(from: 0, to: items.count, by: part).map { Part(chunk: c, items: Array(items[$0..<min($0 + part, items.count)])) }
        }
        var issued: [String] = []
        var signing = Signing()
        do {
            var people = try await holders(of: chunks[0].map(\.pending.candidateID), on: reads ?? db)
            steps.add("read holders", since: &mark)
            for c in chunks.indices {
                let current = people
                let held = Task<[UUID: Holder], any Error> { current }
                signing.start(parts, through: c, people: { _ in held }, batch: batch)
                let done = try await issueChunk(c, of: chunks, parts: parts, people: held, signing: signing, batch: batch, steps: steps, on: db,
                                                reads: reads, time: time)
                (issued, people, signing) = (issued + done.numbers, done.people, done.signing)
                await progress(Progress(done: issued.count, total: todo.count, seconds: steps.seconds))
            }
        } catch {
            signing.cancel()
            try? await BulkInsert.endLargeWrite(db)
            let why = switch error {
            case DomainError.conflict(_, let zh, _), DomainError.forbidden(_, let zh, _): zh
            default: String(describing: error)
            }
            try? await closeReservation(reservation.runID, reason: "签发中断，未用编号作废（\(why)）", actor: actor, on: db, time: time)
            throw error
        }
        // The chunks keep SQLite's large-write settings between them (see `issueChunk`); the defaults again.
        mark = ContinuousClock.now
        try await BulkInsert.endLargeWrite(db)
        try await closeReservation(reservation.runID, reason: "签发期间另一签发批次已为其中部分考生颁发证书，其预留编号未用", actor: actor, on: db, time: time)
        steps.add("close the reservation", since: &mark)
        await progress(Progress(done: issued.count, total: todo.count, seconds: steps.seconds))
        return issued
    }

    /// The certificates signed at a time on every core, and written in one statement each.
    static let part = 1000

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
        var issued: Date
    }

    /// A certificate to issue, with its reserved number and status-list index.
    struct Item: Sendable {
        var pending: Pending
        var number: String
        var statusIndex: Int
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
        var resultID: UUID
        var number: String
        var row: [BulkInsert.Cell]
        var event: [BulkInsert.Cell]
        var audit: AuditEvent
    }

    /// The holders of some candidates.
    static func holders(of candidates: [UUID], on db: any Database) async throws -> [UUID: Holder] {
        guard !candidates.isEmpty else { return [:] }
        var out: [UUID: Holder] = [:]
        for row in try await db.sql().select().columns("user_id", "full_name", "id_type", "id_number_cipher", "id_number_masked", "photo_key")
            .from(CandidateProfile.schema).where("user_id", .in, candidates).all() {
            let user = try row.decode(column: "user_id", as: UUID.self)
            guard out[user] == nil else { continue }
            out[user] = Holder(fullName: try row.decode(column: "full_name", as: String.self),
                               idType: try row.decode(column: "id_type", as: String?.self) ?? "resident-id",
                               idCipher: try row.decode(column: "id_number_cipher", as: String?.self),
                               idMasked: try row.decode(column: "id_number_masked", as: String?.self) ?? "",
                               photoKey: try row.decode(column: "photo_key", as: String?.self))
        }
        return out
    }

    /// The site where each candidate of the plan sat its last session.
    static func sites(planID: UUID, on db: any Database) async throws -> [UUID: String] {
        let sessions = try await ExamSession.query(on: db).filter(\.$planID == planID).all()
        guard !sessions.isEmpty else { return [:] }
        let sessionSite = Dictionary(sessions.map { ($0.id!, ($0.siteCode, $0.heldOn)) }, uniquingKeysWith: { a, _ in a })
        let seats = try await db.sql().select().columns("session_id", "candidate_id").from(SeatAssignment.schema)
            .where("session_id", .in, sessions.compactMap(\.id)).all()
            .map { (session: try $0.decode(column: "session_id", as: UUID.self), candidate: try $0.decode(column: "candidate_id", as: UUID.self)) }
        var out: [UUID: String] = [:]
        for seat in seats.sorted(by: { (sessionSite[$0.session]?.1 ?? "") < (sessionSite[$1.session]?.1 ?? "") }) {
            out[seat.candidate] = sessionSite[seat.session]?.0
        }
        return out
    }

    /// The numbers and status-list indexes an issuing run reserved for its candidates, in their order.
    struct Reservation: Sendable {
        var runID: UUID
        var numbers: [String]
        var statusFirst: Int
    }

    /// Takes the serials for every candidate of a run, per (site, level), and the run's status-list indexes, in one
    /// audited transaction that records them as the run's reservations.
    static func reserve(_ todo: [Pending], batch: Batch, on db: any Database, time: any TimeSource) async throws -> Reservation {
        let sites = try await sites(planID: batch.planID, on: db)
        let body = batch.body
        let today = batch.issued.chinaLocalDate
        var groups: [String: [Int]] = [:]
        for (i, r) in todo.enumerated() { groups["\(sites[r.candidateID] ?? body.sites.first?.code ?? "000000")|\(r.level)", default: []].append(i) }
        let runID = UUID()
        let groupsInOrder = groups.sorted(by: { $0.key < $1.key })
        return try await AuditLog.transaction(on: db, actor: batch.actor, time: time) { audit in
            var numbers = [String](repeating: "", count: todo.count)
            var rows: [CertificateReservation] = []
            var summary: [String] = []
            for (key, members) in groupsInOrder {
                let parts = key.split(separator: "|").map(String.init)
                let (site, level) = (parts[0], Int(parts[1])!)
                let first = try await takeSerials(members.count, bodyCode: body.code, siteCode: site, year: today.year % 100, level: level, on: audit.db)
                let last = first + members.count - 1
                if let problem = CertificateNumber.problem(bodyCode: body.code, provinceCode: body.provinceCode, siteCode: site, level: level, serial: last) {
                    throw DomainError.conflict(code: "bad_number", zh: "无法编制证书编号：\(problem)", en: "cannot form a certificate number: \(problem)")
                }
                let prefix = String(CertificateNumber(bodyType: body.type, bodyCode: body.code, provinceCode: body.provinceCode, siteCode: site,
                                                      year: today.year, level: level, serial: first).description.dropLast(6))
                for (offset, i) in members.enumerated() { numbers[i] = prefix + CertificateNumber.digits(first + offset, 6) }
                rows.append(reservation(runID, batch, kind: .serial, prefix: prefix, first: first, last: last))
                summary.append("\(prefix)\(CertificateNumber.digits(first, 6))–\(CertificateNumber.digits(last, 6))")
            }
            let sql = try audit.db.sql()
            let statusFirst = try await sql.raw("""
                SELECT MAX(m) AS m FROM (SELECT MAX(status_index) AS m FROM \(ident: CertificateRecord.schema)
                UNION ALL SELECT MAX(\(ident: "last")) AS m FROM \(ident: CertificateReservation.schema) WHERE kind = \(bind: CertificateReservation.Kind.status.rawValue)) t
                """).first()?.decode(column: "m", as: Int?.self).map { $0 + 1 } ?? 0
            rows.append(reservation(runID, batch, kind: .status, prefix: "", first: statusFirst, last: statusFirst + todo.count - 1))
            try await rows.create(on: audit.db)
            try await audit.record(AuditEvent(action: "certificate.reserve", targetType: "plan", targetID: batch.planID.uuidString,
                                              details: "为 \(todo.count) 名合格人员预留证书编号 \(summary.joined(separator: "，"))；签发批次 \(runID.uuidString)"))
            return Reservation(runID: runID, numbers: numbers, statusFirst: statusFirst)
        }
    }

    static func reservation(_ runID: UUID, _ batch: Batch, kind: CertificateReservation.Kind, prefix: String, first: Int, last: Int) -> CertificateReservation {
        let r = CertificateReservation()
        (r.runID, r.planID, r.kind, r.prefix, r.first, r.last) = (runID, batch.planID, kind.rawValue, prefix, first, last)
        (r.reservedAt, r.reservedBy) = (batch.issued, batch.actor.id)
        return r
    }

    /// Ends a run's reservations: serials that no certificate carries are recorded with `reason` (and audited).
    static func closeReservation(_ runID: UUID, reason: String, actor: AuditActor, on db: any Database, time: any TimeSource) async throws {
        try await AuditLog.transaction(on: db, actor: actor, time: time) { audit in
            let now = time.now()
            for r in try await CertificateReservation.query(on: audit.db).filter(\.$runID == runID).all() {
                r.closedAt = now
                if r.kind == CertificateReservation.Kind.serial.rawValue {
                    let unused = try await unusedSerials(r, on: audit.db)
                    r.unusedCount = unused.count
                    r.unused = SerialRanges.text(unused)
                    if !unused.isEmpty {
                        r.reason = reason
                        try await audit.record(AuditEvent(action: "certificate.serial-gap", targetType: "plan", targetID: r.planID.uuidString,
                                                          reason: reason, details: "\(r.prefix) 未用序号 \(r.unused ?? "")；签发批次 \(runID.uuidString)"))
                    }
                }
                try await r.update(on: audit.db)
            }
        }
    }

    /// The serials of a reservation that no certificate carries (ranges never overlap, so any certificate in the
    /// range is the run's own).
    public static func unusedSerials(_ r: CertificateReservation, on db: any Database) async throws -> [Int] {
        let low = r.prefix + CertificateNumber.digits(r.first, 6), high = r.prefix + CertificateNumber.digits(r.last, 6)
        let sql = try db.sql()
        let count = try await sql.raw("""
            SELECT COUNT(*) AS n FROM \(ident: CertificateRecord.schema) WHERE number >= \(bind: low) AND number <= \(bind: high)
            """).first()?.decode(column: "n", as: Int.self) ?? 0
        guard count < r.last - r.first + 1 else { return [] }
        let used = Set(try await sql.raw("""
            SELECT number FROM \(ident: CertificateRecord.schema) WHERE number >= \(bind: low) AND number <= \(bind: high)
            """).all().compactMap { Int(try $0.decode(column: "number", as: String.self).suffix(6)) })
        return (r.first...r.last).filter { !used.contains($0) }
    }

    /// Certificates signed at a time, on every core, and written in one statement each; no part spans two chunks.
    struct Part: Sendable {
        var chunk: Int
        var items: [Item]
    }

    /// The parts being signed ahead of the writer, in order and one at a time, so that signing never waits for a
    /// write or a commit while there is room: at most `lookahead` parts are signed or being signed and not yet taken.
    struct Signing: Sendable {
        static let lookahead = 3
        var tasks: [Task<[Prepared], any Error>] = []
        /// The first part not started yet.
        var next = 0

        /// Starts signing the next parts, up to the lookahead and not beyond chunk `last`; `people` gives the holders
        /// of a chunk.
        mutating func start(_ parts: [Part], through last: Int, people: (Int) -> Task<[UUID: Holder], any Error>, batch: Batch) {
            while tasks.count < Self.lookahead, next < parts.count, parts[next].chunk <= last {
                tasks.append(preparing(parts[next].items, people: people(parts[next].chunk), after: tasks.last, batch: batch))
                next += 1
            }
        }

        /// The next part, signed.
        mutating func take() async throws -> [Prepared] {
            try await tasks.removeFirst().value
        }

        func cancel() { tasks.forEach { $0.cancel() } }
    }

    /// Signs a part on every core, in the background, once the part before it (`after`) is signed.
    static func preparing(_ part: [Item], people: Task<[UUID: Holder], any Error>, after previous: Task<[Prepared], any Error>?,
                          batch: Batch) -> Task<[Prepared], any Error> {
        Task {
            _ = try? await previous?.value
            try Task.checkCancellation()
            let people = try await people.value
            let issued = batch.issued, today = batch.issued.chinaLocalDate
            // One core stays with the writer, which is the slower of the two: signing runs ahead of it anyway.
            return try await OnEveryCore.map(part, sparing: 1) { slice in
                var random = RandomBytes(count: slice.count * 48)
                let hasher = batch.sealer.keyedHasher(purpose: "id-number")
                return slice.map { item in
                    Result {
                        guard let holder = people[item.pending.candidateID], holder.idCipher != nil else {
                            throw DomainError.conflict(code: "no_id_number", zh: "考生缺少证件号码，不能颁发证书", en: "a candidate has no ID number on record")
                        }
                        return try prepare(item.pending, number: item.number, statusIndex: item.statusIndex, holder: holder, batch: batch, issued: issued,
                                           today: today, random: &random, hasher: hasher)
                    }
                }
            }.map { try $0.get() }
        }
    }

    /// Issues chunk `c` in one audited transaction: takes each of its parts from `signing` as it is signed, keeps
    /// `signing` going into the next chunk, and writes each part while the following ones are signed. The holders of
    /// the next chunk are read first, on `reads` outside the transaction, or on the transaction's connection without
    /// it (a query on `db` itself would wait for the connection the transaction holds). Certificates that another run
    /// has issued meanwhile are left out.
    static func issueChunk(_ c: Int, of chunks: [[Item]], parts: [Part], people: Task<[UUID: Holder], any Error>, signing: Signing, batch: Batch,
                           steps: StepClock, on db: any Database, reads: (any Database)?, time: any TimeSource) async throws
        -> (numbers: [String], people: [UUID: Holder], signing: Signing) {
        let start = ContinuousClock.now
        let next = c + 1 < chunks.count ? chunks[c + 1] : []
        let issued = try await AuditLog.transaction(on: db, actor: batch.actor, time: time) { audit in
            var mark = start
            // SQLite's large-write settings stay on this connection until the whole run is done: dropping the page
            // cache after each chunk would make the next one read its indexes back from the WAL.
            try await BulkInsert.beginLargeWrite(audit.db)
            let db = audit.db
            let nextPeople = Task { try await holders(of: next.map(\.pending.candidateID), on: reads ?? db) }
            // Issuing of the same plan may run twice at once: what the other has issued meanwhile is left alone.
            let done = Set(try await db.sql().select().column("result_id").from(CertificateRecord.schema)
                .where("result_id", .in, chunks[c].map(\.pending.resultID)).all().map { try $0.decode(column: "result_id", as: UUID.self) })
            var write: Task<Void, any Error> = Task {}
            var written: [String] = []
            var signing = signing
            let heldBy = { (chunk: Int) in chunk == c ? people : nextPeople }
            do {
                for _ in parts.filter({ $0.chunk == c }) {
                    signing.start(parts, through: c + 1, people: heldBy, batch: batch)
                    let prepared = try await signing.take()
                    steps.add("prepare and sign (waited)", since: &mark)
                    try await write.value
                    steps.add("write certificates, events and audit entries (waited)", since: &mark)
                    let kept = done.isEmpty ? prepared : prepared.filter { !done.contains($0.resultID) }
                    write = Task {
                        try await BulkInsert.rows(db, CertificateRecord.schema, kept.map(\.row), columns: certificateColumns)
                        try await BulkInsert.rows(db, CertificateEvent.schema, kept.map(\.event),
                                                  columns: ["id", "certificate_id", "kind", "detail", "reason", "by_user", "at"])
                        try await audit.record(kept.map(\.audit))
                    }
                    written += kept.map(\.number)
                }
                signing.start(parts, through: c + 1, people: heldBy, batch: batch)
                try await write.value
                steps.add("write certificates, events and audit entries (waited)", since: &mark)
            } catch {
                // Never leave a statement running on the transaction's connection after it is rolled back.
                signing.cancel()
                _ = try? await write.value
                _ = try? await nextPeople.value
                throw error
            }
            return (written, try await nextPeople.value, signing, mark)
        }
        var end = issued.3
        steps.add("commit", since: &end)
        return (issued.0, issued.1, issued.2)
    }

    static let certificateColumns = ["id", "number", "print_serial", "plan_id", "result_id", "candidate_id", "full_name", "id_type", "id_masked", "id_cipher",
                                     "id_hash", "occupation_code", "occupation_name", "work_type", "level", "issue_date", "body_name", "site_code", "photo_key",
                                     "status", "status_reason", "status_index", "credential", "issued_at", "issued_by"]

    static func prepare(_ r: Pending, number: String, statusIndex: Int, holder: Holder, batch: Batch, issued: Date, today: LocalDate,
                        random: inout RandomBytes, hasher: (String) -> String) throws -> Prepared {
        let id = random.uuid()
        let idNumber = String(decoding: try batch.sealer.open(holder.idCipher ?? "", context: "candidate-id:\(r.candidateID.uuidString)"), as: UTF8.self)
        let cipher = try batch.sealer.seal(idNumber, context: "certificate-id:\(id.uuidString)", randomNonce: random.bytes(12))
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
        return Prepared(resultID: r.resultID, number: number, row: row, event: event, audit: audit)
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
