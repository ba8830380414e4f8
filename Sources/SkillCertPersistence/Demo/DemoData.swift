import FluentKit
import Foundation
import SkillCertCore

/// Sample data for trying the product: a fictional body with two sites and one account per department.
/// Everything it creates is labelled 示例 (sample).
public enum DemoData {
    /// One demo account.
    public struct Account: Sendable {
        public var username: String
        public var displayName: String
        public var roles: Set<Role>
    }

    /// The shared password of the demo staff accounts other than the administrator.
    public static let staffPassword = "Demo-Staff-2026"

    public static let accounts: [Account] = [
        Account(username: "leader", displayName: "王建国（示例·领导小组）", roles: [.leadership]),
        Account(username: "coord", displayName: "李娜（示例·统筹部门）", roles: [.coordination]),
        Account(username: "exams", displayName: "张伟（示例·考务部门）", roles: [.examAffairs]),
        Account(username: "items", displayName: "刘洋（示例·命题与考评部门）", roles: [.itemExaminer]),
        Account(username: "reviewer", displayName: "吴芳（示例·命题与考评部门审核人）", roles: [.itemExaminer]),
        Account(username: "certs", displayName: "陈静（示例·证书管理部门）", roles: [.certificate]),
        Account(username: "quality", displayName: "赵敏（示例·监督与质控部门）", roles: [.supervision]),
        Account(username: "examiner1", displayName: "孙强（示例·考评员）", roles: [.examiner]),
        Account(username: "examiner2", displayName: "钱磊（示例·考评员）", roles: [.examiner]),
        Account(username: "examiner3", displayName: "郑涛（示例·考评员）", roles: [.examiner]),
        Account(username: "examiner4", displayName: "冯雪（示例·考评员）", roles: [.examiner]),
        Account(username: "examiner5", displayName: "何平（示例·考评员）", roles: [.examiner]),
        Account(username: "supervisor1", displayName: "周丽（示例·督导员）", roles: [.supervisor]),
    ]

    /// The sample body: a fictional training-evaluation organisation in Jiangsu with two sites.
    public static let body = CertificationBody(
        type: .trainingOrganisation, code: "0123", name: "江苏示例职业技能评价中心（示例数据）", provinceCode: "32",
        sites: [
            .init(code: "320102", name: "南京玄武认定站点（示例）", address: "江苏省南京市玄武区示例路 1 号"),
            .init(code: "320506", name: "苏州吴中认定站点（示例）", address: "江苏省苏州市吴中区样本大道 88 号"),
        ])

    /// Loads the sample data; idempotent (existing accounts are left alone). Returns what a person needs to sign in.
    /// With a content key, also a sample item bank for 电工 四级 theory, twice what one paper needs, approved.
    public static func load(adminPassword: String, hasher: any PasswordHashing, sealer: ContentSealer? = nil,
                            on db: any Database, time: any TimeSource) async throws -> [String] {
        let actor = AuditActor.system("demo")
        if try await BodyStore.load(on: db) == nil {
            try await BodyStore.save(body, reason: "示例数据", on: db, actor: actor, time: time)
        }
        var lines: [String] = []
        if try await User.query(on: db).filter(\.$username == "admin").first() == nil {
            _ = try await Accounts.create(.init(username: "admin", displayName: "系统管理员（示例）", password: adminPassword,
                                                roles: [.administrator]),
                                          hasher: hasher, on: db, actor: actor, time: time)
            lines.append("administrator: admin / \(adminPassword)")
        } else {
            lines.append("administrator: admin (already existed; password unchanged)")
        }
        for a in accounts where try await User.query(on: db).filter(\.$username == a.username).first() == nil {
            _ = try await Accounts.create(.init(username: a.username, displayName: a.displayName,
                                                password: staffPassword, roles: a.roles),
                                          hasher: hasher, on: db, actor: actor, time: time)
        }
        lines.append("department accounts (\(accounts.map(\.username).joined(separator: ", "))): password \(staffPassword)")
        if try await StoredPlan.query(on: db).count() == 0, let plan = try await loadPlan(on: db, time: time) {
            lines.append("sample plan published: \(plan) (candidates register at /register and apply from /announcements)")
        }
        if try await RegistryMember.query(on: db).count() == 0 {
            let n = try await loadRegistry(on: db, time: time)
            lines.append("sample registry: \(n) examiners and supervisors, and 3 rooms at the Nanjing site")
        }
        if let sealer, try await StoredItem.query(on: db).count() == 0 {
            let n = try await loadItemBank(sealer: sealer, on: db, time: time)
            lines.append("sample item bank: \(n) approved items for 电工 四级 theory")
        }
        if try await StoredRegulation.query(on: db).count() == 0 {
            lines.append("sample regulations: \(try await loadRegulations(on: db, time: time)) documents at /regulations (public ones at /rules)")
        }
        return lines
    }

    /// A published sample plan for 电工 四级/三级 whose registration is open from a week ago for a month.
    static func loadPlan(on db: any Database, time: any TimeSource) async throws -> String? {
        guard let coord = try await User.query(on: db).filter(\.$username == "coord").first(),
              let leader = try await User.query(on: db).filter(\.$username == "leader").first() else { return nil }
        let standardRow = try await StandardStore.find(code: "6-31-01-03", edition: "2018", on: db)
        let today = time.now().chinaLocalDate
        let plan = CertificationPlan(
            title: "\(today.year) 年电工职业技能等级认定（示例计划）", standardID: try standardRow.requireID().uuidString,
            occupationName: "电工", levels: [4, 3], workType: nil,
            registrationOpens: today.adding(days: -7), registrationCloses: today.adding(days: 30),
            examDates: [.init(part: .theory, date: today.adding(days: 45)), .init(part: .skills, date: today.adding(days: 46))],
            venues: ["南京玄武认定站点（示例）"], feeYuan: 200, capacity: 120,
            materials: [.init(level: 4, items: ["身份证正反面", "学历证书"]),
                        .init(level: 3, items: ["身份证正反面", "四级/中级工证书", "单位出具的工作年限证明"])],
            notes: "示例数据：本计划仅用于试用系统。")
        return try await publish(plan, coordinator: coord, leader: leader, on: db, time: time).number
    }

    /// Examiners qualified for 电工 up to 三级 and a supervisor, all appointed a year ago; rooms at the first site.
    /// 郑涛 works at 示例供电公司, so he must recuse himself from sessions with that employer's candidates.
    static func loadRegistry(on db: any Database, time: any TimeSource) async throws -> Int {
        let actor = AuditActor.system("demo")
        let today = time.now().chinaLocalDate
        let people: [(String, RegistryMember.Kind, String, String)] = [
            ("examiner1", .examiner, "孙强", "南京示例技师学院"), ("examiner2", .examiner, "钱磊", "苏州示例电气公司"),
            ("examiner3", .examiner, "郑涛", "示例供电公司"), ("examiner4", .examiner, "冯雪", "无锡示例职业技术学院"),
            ("examiner5", .examiner, "何平", "常州示例机电公司"), ("supervisor1", .externalSupervisor, "周丽", "示例市人社局职业技能鉴定中心"),
        ]
        var n = 0
        for (username, kind, name, employer) in people {
            guard try await User.query(on: db).filter(\.$username == username).first() != nil else { continue }
            let m = try await RegistryStore.appoint(.init(username: username, kind: kind, fullName: "\(name)（示例）", employer: employer,
                                                          appointedOn: today.adding(days: -365).description), actor: actor, on: db, time: time)
            if kind == .examiner {
                try await RegistryStore.addQualification(memberID: m.requireID(), occupationCode: "6-31-01-03", maxLevel: 3,
                                                         certificateNumber: "KP-DG-2025-\(String(format: "%03d", n + 1))（示例）",
                                                         validFrom: today.adding(days: -365).description,
                                                         validTo: today.adding(days: 3 * 365).description, actor: actor, on: db, time: time)
                try await RegistryStore.addTraining(memberID: m.requireID(), course: "考评员职业道德与考评技术（示例）",
                                                    heldOn: today.adding(days: -300).description, hours: 16, result: "合格",
                                                    actor: actor, on: db, time: time)
            }
            n += 1
        }
        if let site = body.sites.first?.code, try await ExamRoom.query(on: db).count() == 0 {
            try await RoomStore.create(siteCode: site, name: "第1考场（示例）", rows: 5, columns: 6, capacity: nil, actor: actor, on: db, time: time)
            try await RoomStore.create(siteCode: site, name: "第2考场（示例）", rows: 5, columns: 6, capacity: nil, actor: actor, on: db, time: time)
            try await RoomStore.create(siteCode: site, name: "实操工位A（示例）", rows: 2, columns: 5, capacity: nil, actor: actor, on: db, time: time)
        }
        return n
    }

    /// Sample items (labelled 示例) for every cell of the 电工 四级 theory blueprint, twice the count one paper needs.
    static func loadItemBank(sealer: ContentSealer, on db: any Database, time: any TimeSource) async throws -> Int {
        guard let author = try await User.query(on: db).filter(\.$username == "items").first(),
              let reviewer = try await User.query(on: db).filter(\.$username == "reviewer").first() else { return 0 }
        let standardRow = try await StandardStore.find(code: "6-31-01-03", edition: "2018", on: db)
        let standard = try standardRow.standard()
        guard let table = standard.spec(for: Level(4))?.elementTables?.first(where: { $0.part == .theory }) else { return 0 }
        let blueprint = try Blueprint.derive(from: table)
        var inputs: [ItemBankStore.ItemInput] = []
        var n = 0
        for cell in blueprint.cells {
            guard let scope = table.scopes.first(where: { $0.code == cell.scope }) else { continue }
            for k in 0..<(cell.count * 2) {
                n += 1
                let element = scope.elements[k % scope.elements.count]
                let difficulty = 0.55 + Double((n * 37) % 31) / 100
                let content: ItemContent
                switch cell.type {
                case .trueFalse:
                    content = ItemContent(stem: "【示例题 \(n)】“\(element.name)”是\(scope.name)的内容之一，相关操作必须遵守安全规程。",
                                          correct: [n % 3 == 0 ? 1 : 0], explanation: "示例解析：按\(scope.name)的要求判断。")
                case .multipleChoice:
                    content = ItemContent(stem: "【示例题 \(n)】关于“\(element.name)”，下列说法中正确的有（　）。",
                                          options: ["应按规程和图纸要求进行", "应做好安全防护和检查", "可以省略必要的测量步骤", "完成后应记录并复核"],
                                          correct: [0, 1, 3], explanation: "示例解析：不得省略必要的测量步骤。")
                default:
                    content = ItemContent(stem: "【示例题 \(n)】关于“\(element.name)”，下列说法正确的是（　）。",
                                          options: ["应当符合\(scope.name)的相关要求", "可以不考虑安全要求", "与本职业无关", "无需任何检查"],
                                          correct: [0], explanation: "示例解析：见\(scope.name)。")
                }
                inputs.append(.init(standardID: try standardRow.requireID(), level: 4, part: .theory, scopeCode: scope.code,
                                    elementCode: element.code, type: cell.type, content: content, difficulty: difficulty,
                                    source: "示例数据", tags: ["示例", scope.name]))
            }
        }
        let authorActor = AuditActor(id: author.id, name: author.username)
        let reviewerActor = AuditActor(id: reviewer.id, name: reviewer.username)
        _ = try await ItemBankStore.createMany(inputs, author: authorActor, sealer: sealer, on: db, time: time)
        for item in try await StoredItem.query(on: db).all() {
            try await ItemBankStore.act(.submit, itemID: item.id!, reason: nil, actor: authorActor, on: db, time: time)
            try await ItemBankStore.act(.approve, itemID: item.id!, reason: nil, actor: reviewerActor, on: db, time: time)
        }
        return inputs.count
    }
}

extension DemoData {
    /// What `skillcert demo --open-session` made: the session and how each sample candidate signs in.
    public struct OpenSession: Sendable {
        public var sessionID: UUID
        public var paperID: UUID
        public var logins: [(ticket: String, idNumber: String)]
        public var endsAt: Date
    }

    /// A computer-based 电工 四级 theory session at the demo site that is open now, with `candidates` sample
    /// candidates (labelled 示例) approved, seated and ticketed, and a paper drawn from the sample item bank and
    /// attached — so anyone can try the exam client or load it. Needs `load` first (plan, item bank, site).
    public static func openExamSession(candidates: Int, sealer: ContentSealer, on db: any Database, time: any TimeSource) async throws -> OpenSession {
        let actor = AuditActor.system("demo")
        guard let plan = try await StoredPlan.query(on: db).filter(\.$number == "2026-001").first() else {
            throw DomainError.conflict(code: "no_demo_plan", zh: "请先运行 skillcert demo 加载示例数据", en: "run `skillcert demo` first")
        }
        let planID = try plan.requireID()
        let now = time.now()
        let site = body.sites[0].code
        // Sample candidates, written directly (the batch import's rules are tested on their own).
        var users: [User] = [], roles: [UserRoleAssignment] = [], profiles: [CandidateProfile] = [], applications: [StoredApplication] = []
        guard (1...10_000).contains(candidates) else {
            throw DomainError.conflict(code: "out_of_range", zh: "示例考生人数应为 1–10000", en: "1 to 10,000 sample candidates")
        }
        let batch = String(UUID().uuidString.prefix(4)).lowercased()
        // Birth dates on consecutive days from a random one in the 1970s–80s, one random serial per run.
        let firstBirth = LocalDate(year: 1970, month: 1, day: 1)!.dayNumber + Int.random(in: 0..<7000)
        let serial = String(format: "%03d", Int.random(in: 0..<1000))
        var numbers: [String] = []
        for i in 0..<candidates {
            let birth = LocalDate(dayNumber: firstBirth + i)
            let number = ResidentID.completing("110105" + birth.description.replacingOccurrences(of: "-", with: "") + serial)!
            numbers.append(number)
            let sample = try sampleApplicant(planID: planID, username: "exam-\(batch)-\(i + 1)", name: "示例考生\(i + 1)", idNumber: number,
                                             employer: "示例供电公司", sealer: sealer, now: now)
            users.append(sample.user)
            roles.append(sample.role)
            profiles.append(sample.profile)
            applications.append(sample.application)
        }
        if try await CandidateProfile.query(on: db).filter(\.$idNumberHash ~~ profiles.compactMap(\.idNumberHash)).count() > 0 {
            throw DomainError.conflict(code: "sample_ids_taken", zh: "随机生成的示例证件号码与已有考生重复，请再运行一次", en: "sample ID numbers collided; run again")
        }
        let rows = (users: users, roles: roles, profiles: profiles, applications: applications)
        try await db.transaction { tx in
            for chunk in stride(from: 0, to: rows.users.count, by: 500) {
                let end = min(chunk + 500, rows.users.count)
                try await Array(rows.users[chunk..<end]).create(on: tx)
                try await Array(rows.roles[chunk..<end]).create(on: tx)
                try await Array(rows.profiles[chunk..<end]).create(on: tx)
                try await Array(rows.applications[chunk..<end]).create(on: tx)
            }
        }
        // Computer rooms of at most 50 × 50 seats, as many as the candidates need.
        var rooms: [UUID] = []
        for (n, start) in stride(from: 0, to: candidates, by: 2500).enumerated() {
            let seats = min(2500, candidates - start)
            let columns = min(50, max(10, (seats + 49) / 50))
            let room = try await RoomStore.create(siteCode: site, name: "机考室\(batch.uppercased())-\(n + 1)（示例）", rows: max(1, (seats + columns - 1) / columns),
                                                  columns: columns, capacity: seats, actor: actor, on: db, time: time)
            rooms.append(try room.requireID())
        }
        // Open now: started a minute ago (earlier late at night, so it ends by midnight).
        let minutes = 120
        let nowMinute = Int((now.timeIntervalSince1970 + 8 * 3600).truncatingRemainder(dividingBy: 86_400) / 60)
        let start = max(0, min(nowMinute - 1, 24 * 60 - minutes))
        let session = try await SessionStore.create(.init(planID: planID, level: 4, mode: .computer, date: now.chinaLocalDate.description,
                                                          start: TimeSlot.clock(start), minutes: minutes, siteCode: site, roomIDs: rooms),
                                                    actor: actor, on: db, time: time)
        let sessionID = try session.requireID()
        // Only this session's new candidates: the others of the plan are seated elsewhere or not at all.
        try await SessionStore.allocateSeats(sessionID: sessionID, seed: UInt64(now.timeIntervalSince1970), actor: actor, on: db, time: time,
                                             only: Set(applications.compactMap(\.id)))
        let standardID = try await StandardStore.find(code: "6-31-01-03", edition: "2018", on: db).requireID()
        let papers = try await PaperStore.assemble(standardID: standardID, level: 4, part: .theory, forms: 1, seed: UInt64(now.timeIntervalSince1970),
                                                   releaseAt: nil, actor: actor, sealer: sealer, on: db, time: time)
        let paperID = try papers[0].requireID()
        try await AttemptStore.attachPaper(paperID, to: sessionID, actor: actor, on: db, time: time)
        let tickets = Dictionary(try await AdmissionTicketRecord.query(on: db).filter(\.$candidateID ~~ users.compactMap(\.id)).all().map { ($0.candidateID, $0.number) },
                                 uniquingKeysWith: { a, _ in a })
        let logins = zip(users, numbers).map { (tickets[$0.0.id!] ?? "", $0.1) }
        return OpenSession(sessionID: sessionID, paperID: paperID, logins: logins, endsAt: session.slot.end)
    }
}

extension DemoData {
    /// What `skillcert demo --scoring-session` made.
    public struct ScoringSession: Sendable {
        public var sessionID: UUID
        public var candidates: [(username: String, ticket: String)]
        /// Usernames of the examiners on the panel, and of the chief examiner.
        public var panel: [String]
        public var chief: String
    }

    /// A skills session (实操) of the demo plan that started a minute ago at a sample station, ready for the panel:
    /// three sample candidates who can sign in (`skills1`…`skills3`, the staff password), their settled theory
    /// scores from a paper-based session the day before, two task cards attached, three sample examiners on the panel
    /// and a fourth as chief examiner (normally `examiner1`–`examiner3` and `examiner4`). Everything is labelled 示例.
    /// Run once; later runs report it again.
    public static func scoringSession(hasher: any PasswordHashing, sealer: ContentSealer, on db: any Database,
                                      time: any TimeSource) async throws -> ScoringSession {
        let actor = AuditActor.system("demo")
        guard let plan = try await StoredPlan.query(on: db).filter(\.$number == "2026-001").first(),
              let exams = try await User.query(on: db).filter(\.$username == "exams").first(),
              let admin = try await User.query(on: db).filter(\.$username == "admin").first(),
              let author = try await User.query(on: db).filter(\.$username == "items").first(),
              let reviewer = try await User.query(on: db).filter(\.$username == "reviewer").first() else {
            throw DomainError.conflict(code: "no_demo_plan", zh: "请先运行 skillcert demo 加载示例数据", en: "run `skillcert demo` first")
        }
        let usernames = ["skills1", "skills2", "skills3"]
        if let existing = try await User.query(on: db).filter(\.$username == usernames[0]).first(),
           let seat = try await SeatAssignment.query(on: db).filter(\.$candidateID == existing.requireID()).all().last {
            let staff = try await StaffAssignment.query(on: db).filter(\.$sessionID == seat.sessionID).all()
            let names = Dictionary(try await User.query(on: db).filter(\.$id ~~ staff.map(\.userID)).all().map { ($0.id!, $0.username) }, uniquingKeysWith: { a, _ in a })
            return ScoringSession(sessionID: seat.sessionID, candidates: try await logins(usernames, on: db),
                                  panel: staff.filter { $0.roleValue == .examiner }.compactMap { names[$0.userID] }.sorted(),
                                  chief: staff.first { $0.roleValue == .chiefExaminer }.flatMap { names[$0.userID] } ?? "")
        }
        let planID = try plan.requireID()
        let now = time.now()
        let site = body.sites[0].code
        let serial = String(format: "%03d", Int.random(in: 0..<1000))
        var applications: [UUID] = []
        for (i, username) in usernames.enumerated() {
            let number = ResidentID.completing("320102" + "1988030\(i + 1)" + serial)!
            let sample = try sampleApplicant(planID: planID, username: username, displayName: "示例考生（实操）\(i + 1)", name: ["周示例", "吴示例", "郑示例"][i],
                                             idNumber: number, employer: "示例机电公司", passwordHash: try await hasher.hash(staffPassword), sealer: sealer, now: now)
            try await sample.create(on: db)
            applications.append(try sample.application.requireID())
        }
        let station = try await RoomStore.create(siteCode: site, name: "电工实训工位（示例）", rows: 2, columns: 5, capacity: 10, actor: actor, on: db, time: time)
        let only = Set(applications)
        // Yesterday's paper-based theory exam, keyed in twice.
        let yesterday = now.chinaLocalDate.adding(days: -1).description
        let theory = try await SessionStore.create(.init(planID: planID, level: 4, mode: .paper, date: yesterday, start: "09:00", minutes: nil, siteCode: site,
                                                         roomIDs: [try station.requireID()]), actor: actor, on: db, time: time)
        try await SessionStore.allocateSeats(sessionID: theory.requireID(), seed: 11, actor: actor, on: db, time: time, only: only)
        let tickets = try await logins(usernames, on: db)
        for ((_, ticket), score) in zip(tickets, ["78", "85.5", "66"]) {
            for clerk in [exams, admin] {
                try await TheoryScoreStore.enter(sessionID: theory.requireID(), ticketNumber: ticket, score: score, reason: nil,
                                                 actor: AuditActor(id: clerk.id, name: clerk.username), on: db, time: time)
            }
        }
        // Today's skills session, started a minute ago (earlier late at night, so it ends by midnight).
        let minutes = 120
        let nowMinute = Int((now.timeIntervalSince1970 + 8 * 3600).truncatingRemainder(dividingBy: 86_400) / 60)
        let start = max(0, min(nowMinute - 1, 24 * 60 - minutes))
        let skills = try await SessionStore.create(.init(planID: planID, level: 4, mode: .practical, date: now.chinaLocalDate.description,
                                                         start: TimeSlot.clock(start), minutes: minutes, siteCode: site, roomIDs: [try station.requireID()]),
                                                   actor: actor, on: db, time: time)
        let skillsID = try skills.requireID()
        try await SessionStore.allocateSeats(sessionID: skillsID, seed: 12, actor: actor, on: db, time: time, only: only)
        // Two task cards, written and approved by the demo item staff, drawn into a skills paper.
        let standardID = try await StandardStore.find(code: "6-31-01-03", edition: "2018", on: db).requireID()
        let cards: [(String, Int, TaskCard)] = [
            ("A", 60, TaskCard(preparation: "考场准备：三相异步电动机 1 台、交流接触器 2 只、热继电器 1 只、按钮 3 只、导线若干。考生自带电工工具。", minutes: 90,
                               criteria: [.init(text: "元件选择与布置", points: 20, deduction: "布置不合理每处扣 2 分"),
                                          .init(text: "接线工艺", points: 40, deduction: "接线错误每处扣 5 分"),
                                          .init(text: "通电试车", points: 30, deduction: "一次试车不成功扣 10 分"),
                                          .init(text: "安全文明生产", points: 10, deduction: "违反安全操作规程，本任务记 0 分", veto: true)])),
            ("B", 40, TaskCard(preparation: "考场在照明电路中设置 2 处故障。", minutes: 30,
                               criteria: [.init(text: "故障现象分析与判断", points: 60, deduction: "判断错误每处扣 30 分"),
                                          .init(text: "故障排除与记录", points: 40, deduction: "未排除每处扣 20 分")])),
        ]
        let stems = ["【示例任务】三相异步电动机正反转控制线路的安装与调试", "【示例任务】照明电路故障排查"]
        let authorActor = AuditActor(id: author.id, name: author.username), reviewerActor = AuditActor(id: reviewer.id, name: reviewer.username)
        for (i, card) in cards.enumerated() {
            let item = try await ItemBankStore.create(.init(standardID: standardID, level: 4, part: .skills, scopeCode: card.0, elementCode: "001",
                                                            type: .practicalTask, content: ItemContent(stem: stems[i], task: card.2), difficulty: 0.7,
                                                            source: "示例数据", tags: ["示例", "实操"]),
                                                      author: authorActor, sealer: sealer, on: db, time: time)
            try await ItemBankStore.act(.submit, itemID: item.requireID(), reason: nil, actor: authorActor, on: db, time: time)
            try await ItemBankStore.act(.approve, itemID: item.requireID(), reason: nil, actor: reviewerActor, on: db, time: time)
        }
        try await PaperStore.saveBlueprint(Blueprint(cells: cards.map { .init(scope: $0.0, type: .practicalTask, count: 1, pointsEach: $0.1) },
                                                     difficultyTarget: 0.7, difficultyTolerance: 0.3, corePointsShare: 0, maxOverlap: 2, exposureLimit: 100),
                                           standardID: standardID, level: 4, part: .skills, note: "示例实操试卷结构", actor: actor, on: db, time: time)
        let papers = try await PaperStore.assemble(standardID: standardID, level: 4, part: .skills, forms: 1, seed: UInt64(now.timeIntervalSince1970),
                                                   releaseAt: nil, actor: actor, sealer: sealer, on: db, time: time)
        try await AttemptStore.attachPaper(papers[0].requireID(), to: skillsID, actor: actor, on: db, time: time)
        // Three examiners and a chief from the sample registry, in order, passing over anyone who must recuse
        // (other sample candidates of the plan may share an examiner's employer).
        var panel: [String] = [], chief: String?
        for username in ["examiner1", "examiner2", "examiner3", "examiner4", "examiner5"] where chief == nil {
            guard let u = try await User.query(on: db).filter(\.$username == username).first() else { continue }
            let role: StaffRole = panel.count < 3 ? .examiner : .chiefExaminer
            do {
                try await SessionStore.assign(sessionID: skillsID, userID: u.requireID(), role: role, roomID: station.id, actor: actor, on: db, time: time)
                if role == .examiner { panel.append(username) } else { chief = username }
            } catch DomainError.forbidden(code: "recusal", _, _) {
                continue
            }
        }
        guard let chief, panel.count == 3 else {
            throw DomainError.conflict(code: "no_panel", zh: "示例名册中没有足够的可回避外考评员", en: "not enough sample examiners free of recusal")
        }
        return ScoringSession(sessionID: skillsID, candidates: tickets, panel: panel, chief: chief)
    }

    static func logins(_ usernames: [String], on db: any Database) async throws -> [(username: String, ticket: String)] {
        var out: [(String, String)] = []
        for username in usernames {
            guard let user = try await User.query(on: db).filter(\.$username == username).first(),
                  let ticket = try await AdmissionTicketRecord.query(on: db).filter(\.$candidateID == user.requireID()).first() else { continue }
            out.append((username, ticket.number))
        }
        return out
    }
}

extension DemoData {
    /// `skillcert demo --certificates`: an earlier sample batch (a plan of its own) with three holders (示例) whose
    /// results are final after an ended publicity, their certificates issued and signed. Run once; later runs report
    /// the same numbers.
    public static func issuedCertificates(sealer: ContentSealer, signer: CredentialSigner, links: CertificateStore.Links,
                                          on db: any Database, time: any TimeSource) async throws -> [String] {
        let existing = try await CertificateRecord.query(on: db).filter(\.$fullName ~~ certificateHolders).sort(\.$number).all()
        if !existing.isEmpty { return existing.map(\.number) }
        guard let coord = try await User.query(on: db).filter(\.$username == "coord").first(),
              let leader = try await User.query(on: db).filter(\.$username == "leader").first() else {
            throw DomainError.conflict(code: "no_demo_plan", zh: "请先运行 skillcert demo 加载示例数据", en: "run `skillcert demo` first")
        }
        // An earlier batch of the body, held and publicised months ago: its holders take no seat in today's sessions.
        let now = time.now()
        let today = now.chinaLocalDate
        let standardRow = try await StandardStore.find(code: "6-31-01-03", edition: "2018", on: db)
        let earlier = CertificationPlan(
            title: "\(today.year) 年第三批电工职业技能等级认定（示例·已颁证）", standardID: try standardRow.requireID().uuidString,
            occupationName: "电工", levels: [4], workType: nil, registrationOpens: today.adding(days: -150), registrationCloses: today.adding(days: -120),
            examDates: [.init(part: .theory, date: today.adding(days: -100)), .init(part: .skills, date: today.adding(days: -99))],
            venues: ["南京玄武认定站点（示例）"], feeYuan: 200, capacity: 50, materials: [], notes: "示例数据：已结束并颁发证书的批次。")
        let plan = try await publish(earlier, coordinator: coord, leader: leader, on: db, time: time)
        let planID = try plan.requireID()
        let serial = String(format: "%03d", Int.random(in: 0..<1000))
        var results: [UUID] = []
        for (i, name) in certificateHolders.enumerated() {
            let sample = try sampleApplicant(planID: planID, username: "holder-\(serial)-\(i + 1)", name: name,
                                             idNumber: ResidentID.completing("320106" + "1985061\(i + 1)" + serial)!, employer: "示例电力工程公司",
                                             sealer: sealer, now: now)
            try await sample.create(on: db)
            let (id, a) = (sample.user.id!, sample.application)
            let r = ResultRecord()
            r.planID = planID
            r.applicationID = try a.requireID()
            r.candidateID = id
            r.level = 4
            r.theory = [82, 76, 91][i]
            r.skills = [88, 71, 85][i]
            r.absentParts = ""
            r.verdict = ResultRule.Verdict.passed.code
            r.verdictParts = ""
            r.computedAt = now
            r.releasedOn = now.chinaLocalDate.adding(days: -20).description
            r.final = true
            try await r.create(on: db)
            results.append(try r.requireID())
        }
        let publicity = PublicityRecord()
        publicity.planID = planID
        publicity.startedOn = now.chinaLocalDate.adding(days: -14).description
        publicity.lastDay = now.chinaLocalDate.adding(days: -7).description
        publicity.publishedBy = try await User.query(on: db).filter(\.$username == "exams").first()?.requireID() ?? UUID()
        publicity.publishedAt = now.addingTimeInterval(-14 * 86_400)
        publicity.resultIDs = String(decoding: try JSONEncoder().encode(results), as: UTF8.self)
        publicity.finalizedAt = now.addingTimeInterval(-6 * 86_400)
        try await publicity.create(on: db)
        let issued = try await CertificateStore.issue(planID: planID, actor: .system("demo"), sealer: sealer, signer: signer, links: links, on: db, time: time)
        return issued.sorted()
    }

    static let certificateHolders = ["陈示例", "林示例", "黄示例"]

    /// A sample plan through its life cycle as the roles do it: the coordinator drafts and submits, the leader
    /// approves, the coordinator publishes.
    static func publish(_ plan: CertificationPlan, coordinator: User, leader: User, on db: any Database, time: any TimeSource) async throws -> StoredPlan {
        let coordActor = AuditActor(id: coordinator.id, name: coordinator.username)
        let row = try await PlanStore.create(plan, actor: coordActor, on: db, time: time)
        let id = try row.requireID()
        try await PlanStore.act(.submit, id: id, reason: nil, actor: coordActor, on: db, time: time)
        try await PlanStore.act(.approve, id: id, reason: nil, actor: AuditActor(id: leader.id, name: leader.username), on: db, time: time)
        try await PlanStore.act(.publish, id: id, reason: nil, actor: coordActor, on: db, time: time)
        return row
    }
}

extension DemoData {
    /// A sample applicant, built but not saved: an account with the candidate role, a profile with the ID number
    /// sealed, hashed and masked, and an application approved directly for `planID` at `level`.
    public struct SampleApplicant {
        public var user: User
        public var role: UserRoleAssignment
        public var profile: CandidateProfile
        public var application: StoredApplication

        /// Saves the four rows (one by one; batches save the arrays instead).
        public func create(on db: any Database) async throws {
            try await user.create(on: db)
            try await role.create(on: db)
            try await profile.create(on: db)
            try await application.create(on: db)
        }
    }

    public static func sampleApplicant(planID: UUID, username: String, displayName: String? = nil, name: String, idNumber: String,
                                       employer: String, level: Int = 4, passwordHash: String = Accounts.unclaimedPasswordHash,
                                       sealer: ContentSealer, keyedHash: ((String) -> String)? = nil, now: Date) throws -> SampleApplicant {
        let id = UUID()
        let user = User(id: id, username: username, displayName: displayName ?? name, passwordHash: passwordHash, createdAt: now)
        let p = CandidateProfile()
        p.userID = id
        p.fullName = name
        p.idType = "resident-id"
        p.idNumberCipher = try sealer.seal(Data(idNumber.utf8), context: "candidate-id:\(id.uuidString)")
        p.idNumberHash = keyedHash?(idNumber) ?? sealer.keyedHash(idNumber, purpose: "id-number")
        p.idNumberMasked = ResidentID.mask(idNumber)
        p.employer = employer
        p.updatedAt = now
        let a = StoredApplication()
        a.id = UUID()
        a.planID = planID
        a.candidateID = id
        a.level = level
        a.status = StoredApplication.Status.approved.rawValue
        a.profile = "{}"
        a.engineEligible = true
        a.engineExplanation = "示例数据：直接审核通过"
        a.overridden = false
        a.employer = employer
        a.paymentStatus = PaymentStatus.waived.rawValue
        a.createdAt = now
        a.updatedAt = now
        return SampleApplicant(user: user, role: UserRoleAssignment(userID: id, role: .candidate), profile: p, application: a)
    }
}
