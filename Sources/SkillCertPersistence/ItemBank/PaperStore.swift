import Crypto
import FluentKit
import Foundation
import SkillCertCore

/// Blueprints, assembly of sealed parallel papers, and their release.
public enum PaperStore {
    /// The latest saved blueprint for (standard, level, part), or nil.
    public static func latestBlueprint(standardID: UUID, level: Int, part: AssessmentPartKind, planID: UUID? = nil,
                                       on db: any Database) async throws -> StoredBlueprint? {
        try await StoredBlueprint.query(on: db).filter(\.$standardID == standardID).filter(\.$level == level)
            .filter(\.$part == part.rawValue).filter(\.$planID == planID).sort(\.$version, .descending).first()
    }

    /// The blueprint a paper for a plan uses: the plan's own adjusted version, else the standard's.
    public static func effectiveBlueprint(standardID: UUID, level: Int, part: AssessmentPartKind, planID: UUID?,
                                          on db: any Database) async throws -> StoredBlueprint? {
        if let planID, let own = try await latestBlueprint(standardID: standardID, level: level, part: part, planID: planID, on: db) {
            return own
        }
        return try await latestBlueprint(standardID: standardID, level: level, part: part, on: db)
    }

    /// The blueprint the standard's element table gives, before any adjustment.
    public static func derivedBlueprint(standardID: UUID, level: Int, part: AssessmentPartKind,
                                        on db: any Database) async throws -> Blueprint {
        let standard = try await StandardStore.find(id: standardID, on: db).standard()
        let table = standard.spec(for: Level(level))?.elementTables?.first(where: { $0.part == part })
        if part == .skills {
            guard let table else { return Blueprint.defaultSkills }
            return try Blueprint.derive(from: table, mix: [.init(type: .practicalTask, points: 100, pointsEach: 50)],
                                        difficultyTolerance: 0.3, maxOverlap: 1, exposureLimit: 10)
        }
        guard let table else {
            throw ValidationFailure([FieldError(code: "no_element_table", field: "level",
                                                zh: "该标准的 \(Level(level).shortName)\(part.nameZH)没有鉴定要素细目表，无法生成蓝图",
                                                en: "no element table for this level and part")])
        }
        return try Blueprint.derive(from: table)
    }

    /// Saves an adjusted blueprint as the next version; earlier versions stay for the papers that used them.
    @discardableResult
    public static func saveBlueprint(_ blueprint: Blueprint, standardID: UUID, level: Int, part: AssessmentPartKind,
                                     planID: UUID? = nil, note: String, actor: AuditActor, on db: any Database,
                                     time: any TimeSource) async throws -> StoredBlueprint {
        let problems = blueprint.problems
        if !problems.isEmpty { throw ValidationFailure(problems) }
        return try await AuditLog.transaction(on: db, actor: actor, time: time) { audit in
            let previous = try await latestBlueprint(standardID: standardID, level: level, part: part, planID: planID, on: audit.db)
            let row = StoredBlueprint()
            row.standardID = standardID
            row.level = level
            row.part = part.rawValue
            row.planID = planID
            row.version = (previous?.version ?? 0) + 1
            let encoder = JSONEncoder()
            encoder.outputFormatting = [.sortedKeys]
            row.body = String(decoding: try encoder.encode(blueprint), as: UTF8.self)
            row.note = note
            row.createdBy = actor.name
            row.createdAt = time.now()
            try await row.create(on: audit.db)
            try await audit.record(AuditEvent(action: "blueprint.save", targetType: "blueprint", targetID: row.id?.uuidString,
                                              reason: note.isEmpty ? nil : note, before: try previous?.blueprint(),
                                              after: blueprint, details: "L\(level) \(part.rawValue) v\(row.version)\(planID.map { " for plan \($0.uuidString.prefix(8))" } ?? "")"))
            return row
        }
    }

    /// What a sealed paper holds.
    public struct PaperContent: Codable, Sendable {
        public struct Entry: Codable, Sendable {
            public var position: Int
            public var itemID: UUID
            public var versionID: UUID
            public var version: Int
            public var scope: String
            public var element: String
            public var type: ItemType
            public var points: Int
            public var content: ItemContent

            public init(position: Int, itemID: UUID, versionID: UUID, version: Int, scope: String, element: String, type: ItemType,
                        points: Int, content: ItemContent) {
                self.position = position
                self.itemID = itemID
                self.versionID = versionID
                self.version = version
                self.scope = scope
                self.element = element
                self.type = type
                self.points = points
                self.content = content
            }
        }

        public var label: String
        public var occupation: String
        public var level: Int
        public var part: AssessmentPartKind
        public var entries: [Entry]
        public var totalPoints: Int { entries.reduce(0) { $0 + $1.points } }

        public init(label: String, occupation: String, level: Int, part: AssessmentPartKind, entries: [Entry]) {
            self.label = label
            self.occupation = occupation
            self.level = level
            self.part = part
            self.entries = entries
        }
    }

    /// A paper's content sealed under its own fresh key, and that key sealed under the installation key.
    public static func seal(_ content: PaperContent, paperID: UUID, sealer: ContentSealer) throws -> (content: String, wrappedKey: String) {
        let paperKey = SymmetricKey(size: .bits256)
        return (try ContentSealer(key: paperKey).seal(json: content, context: "paper:\(paperID.uuidString)"),
                try sealer.seal(paperKey.withUnsafeBytes { Data($0) }, context: "paper-key:\(paperID.uuidString)"))
    }

    /// Draws `forms` parallel papers from the approved items by the latest blueprint (saving the derived one as
    /// version 1 when none was saved) and seals each. Throws `AssemblyError` naming any short cell.
    public static func assemble(standardID: UUID, level: Int, part: AssessmentPartKind, planID: UUID? = nil, forms: Int,
                                seed: UInt64, releaseAt: Date?, actor: AuditActor, sealer: ContentSealer, on db: any Database,
                                time: any TimeSource) async throws -> [StoredPaper] {
        if let releaseAt, releaseAt <= time.now() {
            throw ValidationFailure([FieldError(code: "release_in_past", field: "releaseAt",
                                                zh: "开考启封时间必须晚于现在；需要提前启封请由两名授权人员共同同意",
                                                en: "the release time must be in the future; to open early, two authorised people consent")])
        }
        guard (1...26).contains(forms) else {
            throw ValidationFailure([FieldError(code: "out_of_range", field: "forms", zh: "平行卷数量应为 1–26", en: "forms must be 1–26")])
        }
        let stored: StoredBlueprint
        if let latest = try await effectiveBlueprint(standardID: standardID, level: level, part: part, planID: planID, on: db) {
            stored = latest
        } else {
            let derived = try await derivedBlueprint(standardID: standardID, level: level, part: part, on: db)
            stored = try await saveBlueprint(derived, standardID: standardID, level: level, part: part, note: "由细目表生成",
                                             actor: actor, on: db, time: time)
        }
        let blueprint = try stored.blueprint()
        let standard = try await StandardStore.find(id: standardID, on: db).standard()

        // The bank: the approved version of every item of this standard, level and part.
        let items = try await StoredItem.query(on: db).filter(\.$standardID == standardID).filter(\.$level == level)
            .filter(\.$part == part.rawValue).all()
        let itemByID = Dictionary(uniqueKeysWithValues: items.map { ($0.id!, $0) })
        let versions = items.isEmpty ? [] : try await StoredItemVersion.query(on: db).filter(\.$itemID ~~ items.compactMap(\.id))
            .filter(\.$status == ItemStatus.approved.rawValue).sort(\.$createdAt).sort(\.$id).all()
        let yearAgo = time.now().addingTimeInterval(-365 * 86_400)
        let uses = versions.isEmpty ? [] : try await ItemUse.query(on: db).filter(\.$itemVersionID ~~ versions.compactMap(\.id))
            .filter(\.$usedAt >= yearAgo).all()
        var exposure: [UUID: Int] = [:]
        for u in uses { exposure[u.itemVersionID, default: 0] += 1 }
        let bank = versions.enumerated().map { i, v -> BankItem in
            let item = itemByID[v.itemID]!
            return BankItem(id: i, cell: CellKey(scope: item.scopeCode, type: item.type), difficulty: v.difficulty,
                            isCore: v.importance == ElementImportance.X.rawValue, exposure: exposure[v.id!] ?? 0)
        }
        let indexOfItem = Dictionary(versions.enumerated().map { ($1.itemID, $0) }, uniquingKeysWith: { a, _ in a })
        let pairs = try await ItemEnemyPair.query(on: db).all()
        let enemies = pairs.compactMap { p -> (Int, Int)? in
            guard let a = indexOfItem[p.itemA], let b = indexOfItem[p.itemB] else { return nil }
            return (a, b)
        }
        let drawn = try PaperAssembler.assemble(blueprint: blueprint, bank: bank, enemies: enemies, forms: forms, seed: seed)

        return try await AuditLog.transaction(on: db, actor: actor, time: time) { audit in
            let batch = UUID()
            var papers: [StoredPaper] = []
            for form in drawn {
                var entries: [PaperContent.Entry] = []
                var authors = Set<UUID>()
                // Printed papers group items by type, so number them by type, then scope.
                let ordered = form.items.sorted { ($0.cell.type, $0.cell.scope) < ($1.cell.type, $1.cell.scope) }
                for (position, slot) in ordered.enumerated() {
                    let v = versions[slot.itemID]
                    let item = itemByID[v.itemID]!
                    authors.insert(item.authorID)
                    authors.insert(v.createdBy)
                    for editor in v.editors.split(separator: ",") { if let e = UUID(uuidString: String(editor)) { authors.insert(e) } }
                    let content = try sealer.open(ItemContent.self, from: v.contentCipher,
                                                  context: StoredItemVersion.context(v.id!))
                    entries.append(.init(position: position + 1, itemID: item.id!, versionID: v.id!, version: v.version,
                                         scope: item.scopeCode, element: item.elementCode, type: item.type,
                                         points: slot.points, content: content))
                }
                let paperID = UUID()
                let payload = PaperContent(label: form.label, occupation: standard.occupation.name, level: level, part: part,
                                           entries: entries)
                let paper = StoredPaper()
                paper.id = paperID
                paper.batchID = batch
                paper.label = form.label
                paper.standardID = standardID
                paper.level = level
                paper.part = part.rawValue
                paper.blueprintID = stored.id!
                paper.seed = String(seed)
                paper.itemCount = entries.count
                paper.difficulty = form.difficulty
                (paper.sealedContent, paper.wrappedKey) = try seal(payload, paperID: paperID, sealer: sealer)
                paper.releaseAt = releaseAt
                paper.status = StoredPaper.Status.sealed.rawValue
                paper.excludedReaders = authors.map(\.uuidString).sorted().joined(separator: ",")
                paper.createdBy = actor.name
                paper.createdAt = time.now()
                try await paper.create(on: audit.db)
                try await audit.record(AuditEvent(action: "paper.assemble", targetType: "paper", targetID: paperID.uuidString,
                                                  details: "form \(form.label) of batch \(batch.uuidString.prefix(8)); \(entries.count) items, blueprint v\(stored.version)"))
                papers.append(paper)
            }
            return papers
        }
    }

    /// One authorised person's consent to open a paper before its release time; the second distinct consent opens it.
    public static func approveUnseal(paperID: UUID, reason: String, actor: AuditActor, sealer: ContentSealer, on db: any Database,
                                     time: any TimeSource) async throws -> StoredPaper {
        guard let userID = actor.id else { throw DomainError.forbidden(code: "no_user", zh: "需要登录用户", en: "sign in first") }
        if reason.trimmingCharacters(in: .whitespaces).isEmpty { throw ValidationFailure([.required("reason", label: "启封原因")]) }
        return try await AuditLog.transaction(on: db, actor: actor, time: time) { audit in
            guard let paper = try await StoredPaper.find(paperID, on: audit.db) else { throw DomainError.notFound(what: "paper") }
            guard paper.status == StoredPaper.Status.sealed.rawValue else { return paper }
            if try await PaperUnsealApproval.query(on: audit.db).filter(\.$paperID == paperID).filter(\.$userID == userID).first() != nil {
                throw DomainError.conflict(code: "already_approved", zh: "您已同意启封，需另一名授权人员同意",
                                           en: "you have already consented; a second authorised person is needed")
            }
            let approval = PaperUnsealApproval()
            approval.paperID = paperID
            approval.userID = userID
            approval.reason = reason
            approval.createdAt = time.now()
            try await approval.create(on: audit.db)
            try await audit.record(AuditEvent(action: "paper.unseal-consent", targetType: "paper", targetID: paperID.uuidString,
                                              reason: reason, details: "consent to open form \(paper.label) early"))
            let count = try await PaperUnsealApproval.query(on: audit.db).filter(\.$paperID == paperID).count()
            if count >= 2 {
                paper.status = StoredPaper.Status.unsealed.rawValue
                paper.unsealedAt = time.now()
                try await paper.save(on: audit.db)
                try await recordUses(paper, sealer: sealer, on: audit.db, time: time)
                try await audit.record(AuditEvent(action: "paper.unseal", targetType: "paper", targetID: paperID.uuidString,
                                                  reason: reason, details: "opened by two authorised people"))
            }
            return paper
        }
    }

    /// Counts a released paper's items as used (exposure). Done at release, not at assembly, so that usage data
    /// never reveals what a sealed paper holds.
    static func recordUses(_ paper: StoredPaper, sealer: ContentSealer, on db: any Database, time: any TimeSource) async throws {
        let id = paper.id!
        let keyData = try sealer.open(paper.wrappedKey, context: "paper-key:\(id.uuidString)")
        let content = try ContentSealer(key: SymmetricKey(data: keyData))
            .open(PaperContent.self, from: paper.sealedContent, context: "paper:\(id.uuidString)")
        for entry in content.entries {
            let use = ItemUse()
            use.itemVersionID = entry.versionID
            use.usedAt = time.now()
            try await use.create(on: db)
        }
    }

    /// Opens a paper for a reader: released at its session's start or after two consents; never for an author of
    /// one of its items. Every read is audited.
    public static func open(paperID: UUID, reader: AuditActor, sealer: ContentSealer, on db: any Database,
                            time: any TimeSource) async throws -> PaperContent {
        guard let paper = try await StoredPaper.find(paperID, on: db) else { throw DomainError.notFound(what: "paper") }
        if let id = reader.id, paper.excludedReaders.contains(id.uuidString) {
            throw DomainError.forbidden(code: "author_excluded", zh: "您编写了该试卷中的试题，按回避规定不能查看试卷",
                                        en: "you wrote items on this paper and may not see it")
        }
        if paper.status == StoredPaper.Status.sealed.rawValue {
            guard let release = paper.releaseAt, release <= time.now() else {
                throw DomainError.forbidden(code: "paper_sealed", zh: "试卷处于密封状态：开考时自动启封，或由两名授权人员共同启封",
                                            en: "the paper is sealed until its session starts or two authorised people open it")
            }
            try await AuditLog.transaction(on: db, actor: reader, time: time) { audit in
                paper.status = StoredPaper.Status.unsealed.rawValue
                paper.unsealedAt = time.now()
                try await paper.save(on: audit.db)
                try await recordUses(paper, sealer: sealer, on: audit.db, time: time)
                try await audit.record(AuditEvent(action: "paper.unseal", targetType: "paper", targetID: paperID.uuidString,
                                                  details: "released at the session start \(AuditRecord.timestamp(release))"))
            }
        }
        let keyData = try sealer.open(paper.wrappedKey, context: "paper-key:\(paperID.uuidString)")
        let content = try ContentSealer(key: SymmetricKey(data: keyData))
            .open(PaperContent.self, from: paper.sealedContent, context: "paper:\(paperID.uuidString)")
        try await AuditLog.record(AuditEvent(action: "paper.read", targetType: "paper", targetID: paperID.uuidString,
                                             details: "form \(paper.label) read"), on: db, actor: reader, time: time)
        return content
    }
}
