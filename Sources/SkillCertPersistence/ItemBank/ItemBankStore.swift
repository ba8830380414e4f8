import Crypto
import FluentKit
import Foundation
import SkillCertCore

/// The item bank: items with encrypted content, the review workflow, versions, enemy pairs and audited reads.
public enum ItemBankStore {
    /// What an author enters for an item.
    public struct ItemInput: Sendable {
        public var standardID: UUID
        public var level: Int
        public var part: AssessmentPartKind
        public var scopeCode: String
        public var elementCode: String
        public var type: ItemType
        public var content: ItemContent
        public var difficulty: Double
        public var source: String
        public var tags: [String]

        public init(standardID: UUID, level: Int, part: AssessmentPartKind, scopeCode: String, elementCode: String,
                    type: ItemType, content: ItemContent, difficulty: Double, source: String = "", tags: [String] = []) {
            self.standardID = standardID
            self.level = level
            self.part = part
            self.scopeCode = scopeCode
            self.elementCode = elementCode
            self.type = type
            self.content = content
            self.difficulty = difficulty
            self.source = source
            self.tags = tags
        }
    }

    /// The metadata a change is digested from; never the plain content.
    struct AuditedVersion: Codable {
        var version: Int
        var status: String
        var difficulty: Double
        var tags: String
        var contentCipherDigest: String
    }

    static func audited(_ v: StoredItemVersion) -> AuditedVersion {
        AuditedVersion(version: v.version, status: v.status, difficulty: v.difficulty, tags: v.tags,
                       contentCipherDigest: SHA256.hash(data: Data(v.contentCipher.utf8)).hexString)
    }

    /// Checks the input against its standard: the level and part exist, and the element is in the element table
    /// where the standard has one. Returns the element's importance.
    static func check(_ input: ItemInput, on db: any Database) async throws -> ElementImportance {
        var errors = ItemValidator.problems(type: input.type, content: input.content, difficulty: input.difficulty)
        guard let row = try await StoredStandard.find(input.standardID, on: db) else {
            throw ValidationFailure([FieldError(code: "unknown_standard", field: "standard", zh: "请选择职业技能标准", en: "unknown standard")])
        }
        let standard = try row.standard()
        var importance = ElementImportance.X
        if let spec = standard.spec(for: Level(input.level)) {
            if !spec.parts.contains(where: { $0.part == input.part }) {
                errors.append(FieldError(code: "unknown_part", field: "part", zh: "该等级没有此考核部分", en: "the level has no such part"))
            }
            if (input.part == .theory) == (input.type == .practicalTask) {
                errors.append(FieldError(code: "type_part_mismatch", field: "type",
                                         zh: "操作技能考核任务只能用于操作技能考核，客观题只能用于理论知识考试",
                                         en: "task cards belong to the skills part, objective items to the theory part"))
            }
            if let table = spec.elementTables?.first(where: { $0.part == input.part }) {
                if let element = table.scopes.first(where: { $0.code == input.scopeCode })?.elements.first(where: { $0.code == input.elementCode }) {
                    importance = element.importance
                } else {
                    errors.append(FieldError(code: "unknown_element", field: "element",
                                             zh: "鉴定要素细目表中没有 \(input.scopeCode)-\(input.elementCode)",
                                             en: "the element table has no \(input.scopeCode)-\(input.elementCode)"))
                }
            } else if input.scopeCode.isEmpty || input.elementCode.isEmpty {
                errors.append(.required("element", label: "鉴定点"))
            }
        } else {
            errors.append(FieldError(code: "level_not_offered", field: "level", zh: "该标准不设此等级", en: "the standard does not offer this level"))
        }
        if !errors.isEmpty { throw ValidationFailure(errors) }
        return importance
    }

    /// Creates an item as a draft, version 1.
    @discardableResult
    public static func create(_ input: ItemInput, author: AuditActor, sealer: ContentSealer, on db: any Database,
                              time: any TimeSource) async throws -> StoredItem {
        let importance = try await check(input, on: db)
        return try await AuditLog.transaction(on: db, actor: author, time: time) { audit in
            try await insert(input, importance: importance, author: author, sealer: sealer, audit: audit, time: time)
        }
    }

    /// Creates many items in one transaction: all of them or, on any error, none.
    public static func createMany(_ inputs: [ItemInput], author: AuditActor, sealer: ContentSealer, on db: any Database,
                                  time: any TimeSource) async throws -> Int {
        var checked: [(ItemInput, ElementImportance)] = []
        for input in inputs { checked.append((input, try await check(input, on: db))) }
        let all = checked
        return try await AuditLog.transaction(on: db, actor: author, time: time) { audit in
            for (input, importance) in all {
                _ = try await insert(input, importance: importance, author: author, sealer: sealer, audit: audit, time: time)
            }
            return all.count
        }
    }

    static func insert(_ input: ItemInput, importance: ElementImportance, author: AuditActor, sealer: ContentSealer,
                       audit: AuditWriter, time: any TimeSource) async throws -> StoredItem {
        guard let authorID = author.id else { throw DomainError.forbidden(code: "no_author", zh: "需要登录用户", en: "a signed-in author is required") }
        let item = StoredItem()
        item.id = UUID()
        item.standardID = input.standardID
        item.level = input.level
        item.part = input.part.rawValue
        item.scopeCode = input.scopeCode
        item.elementCode = input.elementCode
        item.itemType = input.type.rawValue
        item.authorID = authorID
        item.authorName = author.name
        item.latestVersion = 1
        item.createdAt = time.now()
        try await item.create(on: audit.db)
        let version = try makeVersion(item: item, number: 1, input: input, importance: importance, by: authorID,
                                      sealer: sealer, time: time)
        try await version.create(on: audit.db)
        try await audit.record(AuditEvent(action: "item.create", targetType: "item", targetID: item.id?.uuidString,
                                          before: AuditedVersion?.none, after: audited(version),
                                          details: "\(input.type.rawValue) \(input.scopeCode)-\(input.elementCode) L\(input.level) v1"))
        return item
    }

    static func makeVersion(item: StoredItem, number: Int, input: ItemInput, importance: ElementImportance, by user: UUID,
                            sealer: ContentSealer, time: any TimeSource) throws -> StoredItemVersion {
        let v = StoredItemVersion()
        let id = UUID()
        v.id = id
        v.itemID = item.id!
        v.version = number
        v.status = ItemStatus.draft.rawValue
        v.difficulty = input.difficulty
        v.importance = importance.rawValue
        v.source = input.source
        v.tags = input.tags.map { $0.trimmingCharacters(in: .whitespaces) }.filter { !$0.isEmpty }.joined(separator: ",")
        v.contentCipher = try sealer.seal(json: input.content, context: StoredItemVersion.context(id))
        v.createdBy = user
        v.editors = user.uuidString
        v.createdAt = time.now()
        return v
    }

    /// The latest version of an item.
    public static func latest(_ item: StoredItem, on db: any Database) async throws -> StoredItemVersion {
        guard let v = try await StoredItemVersion.query(on: db).filter(\.$itemID == item.id!).filter(\.$version == item.latestVersion).first() else {
            throw DomainError.notFound(what: "item version")
        }
        return v
    }

    public static func find(_ id: UUID, on db: any Database) async throws -> StoredItem {
        guard let item = try await StoredItem.find(id, on: db) else { throw DomainError.notFound(what: "item") }
        return item
    }

    /// Edits an item. A draft is changed in place; an approved item gets a new draft version, so papers that used
    /// the approved one keep it unchanged. Items in review or retired are not edited.
    public static func update(itemID: UUID, input: ItemInput, actor: AuditActor, sealer: ContentSealer, on db: any Database,
                              time: any TimeSource) async throws {
        let item = try await find(itemID, on: db)
        // An edit changes the content, never where the item sits: placement is fixed for all its versions.
        var input = input
        input.standardID = item.standardID
        input.level = item.level
        input.part = AssessmentPartKind(rawValue: item.part) ?? .theory
        input.type = item.type
        input.scopeCode = item.scopeCode
        input.elementCode = item.elementCode
        let importance = try await check(input, on: db)
        let checked = input
        guard let userID = actor.id else { throw DomainError.forbidden(code: "no_user", zh: "需要登录用户", en: "sign in first") }
        try await AuditLog.transaction(on: db, actor: actor, time: time) { audit in
            let current = try await latest(item, on: audit.db)
            let before = audited(current)
            switch current.statusValue {
            case .draft:
                let replacement = try makeVersion(item: item, number: current.version, input: checked, importance: importance,
                                                  by: current.createdBy, sealer: sealer, time: time)
                current.difficulty = replacement.difficulty
                current.source = replacement.source
                current.tags = replacement.tags
                current.importance = replacement.importance
                current.contentCipher = try sealer.seal(json: checked.content, context: StoredItemVersion.context(current.id!))
                if !current.isEditor(userID) { current.editors += ",\(userID.uuidString)" }
                try await current.save(on: audit.db)
                try await audit.record(AuditEvent(action: "item.update", targetType: "item", targetID: itemID.uuidString,
                                                  before: before, after: audited(current), details: "v\(current.version) edited"))
            case .approved:
                let next = try makeVersion(item: item, number: current.version + 1, input: checked, importance: importance,
                                           by: userID, sealer: sealer, time: time)
                try await next.create(on: audit.db)
                item.latestVersion = next.version
                try await item.save(on: audit.db)
                try await audit.record(AuditEvent(action: "item.new-version", targetType: "item", targetID: itemID.uuidString,
                                                  before: before, after: audited(next),
                                                  details: "v\(current.version) approved stays; v\(next.version) drafted"))
            case .inReview, .retired:
                throw DomainError.conflict(code: "not_editable", zh: "“\(current.statusValue.nameZH)”状态的试题不能修改",
                                           en: "an item \(current.status) cannot be edited")
            }
        }
    }

    /// Moves the latest version through the review workflow. Approving a new version retires the one it replaces.
    public static func act(_ action: ItemWorkflow.Action, itemID: UUID, reason: String?, actor: AuditActor,
                           on db: any Database, time: any TimeSource) async throws {
        try await AuditLog.transaction(on: db, actor: actor, time: time) { audit in
            let item = try await find(itemID, on: audit.db)
            let current = try await latest(item, on: audit.db)
            let before = audited(current)
            let next = try ItemWorkflow.apply(action, to: current.statusValue, actorIsAuthor: current.isEditor(actor.id)).get()
            if action == .reject && (reason ?? "").trimmingCharacters(in: .whitespaces).isEmpty {
                throw ValidationFailure([.required("reason", label: "退回原因")])
            }
            current.status = next.rawValue
            if action == .approve || action == .reject {
                current.reviewedBy = actor.id
                current.reviewedAt = time.now()
            }
            try await current.save(on: audit.db)
            if action == .approve {
                try await StoredItemVersion.query(on: audit.db).filter(\.$itemID == itemID).filter(\.$version < current.version)
                    .filter(\.$status == ItemStatus.approved.rawValue).set(\.$status, to: ItemStatus.retired.rawValue).update()
            }
            if action == .retire {
                // Retiring an item retires every version, so an older approved one is never drawn again.
                try await StoredItemVersion.query(on: audit.db).filter(\.$itemID == itemID)
                    .set(\.$status, to: ItemStatus.retired.rawValue).update()
            }
            try await audit.record(AuditEvent(action: "item.\(action.rawValue)", targetType: "item", targetID: itemID.uuidString,
                                              reason: reason, before: before, after: audited(current),
                                              details: "v\(current.version): \(before.status) → \(next.rawValue)"))
        }
    }

    /// Decrypts a version's content for a reader. Every read is audited.
    public static func readContent(versionID: UUID, reader: AuditActor, sealer: ContentSealer, on db: any Database,
                                   time: any TimeSource) async throws -> ItemContent {
        guard let version = try await StoredItemVersion.find(versionID, on: db) else { throw DomainError.notFound(what: "item version") }
        let content = try sealer.open(ItemContent.self, from: version.contentCipher, context: StoredItemVersion.context(versionID))
        try await AuditLog.record(AuditEvent(action: "item.read", targetType: "item", targetID: version.itemID.uuidString,
                                             details: "v\(version.version) content read"), on: db, actor: reader, time: time)
        return content
    }

    /// Decrypts the latest versions of many items for an export, with one audit entry naming every item read.
    public static func readForExport(_ rows: [Row], reader: AuditActor, sealer: ContentSealer, on db: any Database,
                                     time: any TimeSource) async throws -> [(Row, ItemContent)] {
        let out = try rows.map { r in
            (r, try sealer.open(ItemContent.self, from: r.version.contentCipher, context: StoredItemVersion.context(r.version.id!)))
        }
        try await AuditLog.record(AuditEvent(action: "item.export", targetType: "item", targetID: nil,
                                             details: "\(rows.count) items: " + rows.map { $0.item.id!.uuidString }.joined(separator: ",")),
                                  on: db, actor: reader, time: time)
        return out
    }

    /// Records that two items must not appear on one paper.
    public static func addEnemy(_ a: UUID, _ b: UUID, actor: AuditActor, on db: any Database, time: any TimeSource) async throws {
        guard a != b else {
            throw ValidationFailure([FieldError(code: "same_item", field: "enemy", zh: "不能与自身互斥", en: "an item cannot be its own enemy")])
        }
        _ = try await find(a, on: db)
        _ = try await find(b, on: db)
        let (x, y) = a.uuidString < b.uuidString ? (a, b) : (b, a)
        if try await ItemEnemyPair.query(on: db).filter(\.$itemA == x).filter(\.$itemB == y).first() != nil { return }
        try await AuditLog.transaction(on: db, actor: actor, time: time) { audit in
            let pair = ItemEnemyPair()
            pair.itemA = x
            pair.itemB = y
            try await pair.create(on: audit.db)
            try await audit.record(AuditEvent(action: "item.enemy", targetType: "item", targetID: a.uuidString,
                                              details: "enemy of \(b.uuidString)"))
        }
    }

    /// Removes an enemy pair.
    public static func removeEnemy(_ a: UUID, _ b: UUID, actor: AuditActor, on db: any Database, time: any TimeSource) async throws {
        let (x, y) = a.uuidString < b.uuidString ? (a, b) : (b, a)
        try await AuditLog.transaction(on: db, actor: actor, time: time) { audit in
            guard let pair = try await ItemEnemyPair.query(on: audit.db).filter(\.$itemA == x).filter(\.$itemB == y).first() else {
                throw DomainError.notFound(what: "enemy pair")
            }
            try await pair.delete(on: audit.db)
            try await audit.record(AuditEvent(action: "item.enemy-remove", targetType: "item", targetID: a.uuidString,
                                              details: "no longer enemy of \(b.uuidString)"))
        }
    }

    /// The enemies of an item.
    public static func enemies(of id: UUID, on db: any Database) async throws -> [UUID] {
        let pairs = try await ItemEnemyPair.query(on: db).group(.or) { $0.filter(\.$itemA == id).filter(\.$itemB == id) }.all()
        return pairs.map { $0.itemA == id ? $0.itemB : $0.itemA }
    }

    /// Filters for the item list.
    public struct Filter: Sendable {
        public var standardID: UUID?
        public var level: Int?
        public var scope: String?
        public var type: ItemType?
        public var status: ItemStatus?
        public var minDifficulty: Double?
        public var maxDifficulty: Double?
        public var tag: String?
        public var element: String?
        /// `unused` or `used`.
        public var usage: String?

        public init(standardID: UUID? = nil, level: Int? = nil, scope: String? = nil, type: ItemType? = nil,
                    status: ItemStatus? = nil, minDifficulty: Double? = nil, maxDifficulty: Double? = nil, tag: String? = nil,
                    element: String? = nil, usage: String? = nil) {
            self.element = element
            self.usage = usage
            self.standardID = standardID
            self.level = level
            self.scope = scope
            self.type = type
            self.status = status
            self.minDifficulty = minDifficulty
            self.maxDifficulty = maxDifficulty
            self.tag = tag
        }
    }

    /// One row of the list: an item, its latest version and how often its versions were used.
    public struct Row: Sendable {
        public var item: StoredItem
        public var version: StoredItemVersion
        public var uses: Int

        public init(item: StoredItem, version: StoredItemVersion, uses: Int) {
            self.item = item
            self.version = version
            self.uses = uses
        }
    }

    /// Items matching the filter (metadata only; content stays encrypted), newest first, with paging.
    public static func list(_ f: Filter, page: Int, perPage: Int, on db: any Database) async throws -> (rows: [Row], total: Int) {
        let query = StoredItem.query(on: db)
        if let s = f.standardID { query.filter(\.$standardID == s) }
        if let l = f.level { query.filter(\.$level == l) }
        if let s = f.scope, !s.isEmpty { query.filter(\.$scopeCode == s) }
        if let t = f.type { query.filter(\.$itemType == t.rawValue) }
        if let e = f.element, !e.isEmpty { query.filter(\.$elementCode == e) }
        let items = try await query.sort(\.$createdAt, .descending).all()
        guard !items.isEmpty else { return ([], 0) }
        let versions = try await StoredItemVersion.query(on: db).filter(\.$itemID ~~ items.compactMap(\.id)).all()
        let latest = Dictionary(versions.map { ($0.itemID.uuidString + "#\($0.version)", $0) }, uniquingKeysWith: { a, _ in a })
        let versionIDs = versions.compactMap(\.id)
        let uses = try await ItemUse.query(on: db).filter(\.$itemVersionID ~~ versionIDs).all()
        let versionItem = Dictionary(versions.map { ($0.id!, $0.itemID) }, uniquingKeysWith: { a, _ in a })
        var useCount: [UUID: Int] = [:]
        for u in uses { if let item = versionItem[u.itemVersionID] { useCount[item, default: 0] += 1 } }
        var rows: [Row] = []
        for item in items {
            guard let v = latest[item.id!.uuidString + "#\(item.latestVersion)"] else { continue }
            if let s = f.status, v.statusValue != s { continue }
            if let m = f.minDifficulty, v.difficulty < m { continue }
            if let m = f.maxDifficulty, v.difficulty > m { continue }
            if let t = f.tag?.trimmingCharacters(in: .whitespaces), !t.isEmpty,
               !(v.tags.localizedCaseInsensitiveContains(t) || v.source.localizedCaseInsensitiveContains(t)) { continue }
            let uses = useCount[item.id!] ?? 0
            if f.usage == "unused" && uses > 0 || f.usage == "used" && uses == 0 { continue }
            rows.append(Row(item: item, version: v, uses: uses))
        }
        let start = min((page - 1) * perPage, rows.count)
        return (Array(rows[start..<min(start + perPage, rows.count)]), rows.count)
    }
}
