import Crypto
import FluentKit
import Foundation
import SkillCertCore

/// Delivers outbox messages. The development sender writes them to the log; a real SMS or e-mail gateway
/// implements the same protocol.
public protocol MessageSender: Sendable {
    func send(channel: String, recipient: String, body: String) async throws
}

/// Candidate self-registration with a verification code, and the candidate's personal data.
public enum CandidateAccounts {
    static let codeLifetime: TimeInterval = 600
    static let maxCodesPerHour = 5
    static let maxAttempts = 5

    /// ID document types a candidate can give.
    public static let idTypes: [(key: String, zh: String)] = [
        ("resident-id", "居民身份证"), ("residence-permit", "港澳台居民居住证"), ("mainland-travel-permit", "港澳居民来往内地通行证"),
        ("taiwan-travel-permit", "台湾居民来往大陆通行证"), ("passport", "护照"), ("foreign-permanent-residence", "外国人永久居留身份证"),
    ]

    /// The Chinese name of an ID document type key.
    public static func idTypeName(_ key: String?) -> String {
        idTypes.first { $0.key == key }?.zh ?? ""
    }

    static func addressHash(_ address: ContactAddress, _ sealer: ContentSealer) -> String {
        sealer.keyedHash(address.value, purpose: "contact")
    }

    /// Sends a six-digit code to the address through the outbox. At most five codes an hour per address.
    public static func requestCode(for raw: String, sealer: ContentSealer, sender: any MessageSender, on db: any Database,
                                   time: any TimeSource) async throws {
        guard let address = ContactAddress(raw) else {
            throw ValidationFailure([FieldError(code: "invalid_contact", field: "contact", zh: "请填写 11 位手机号码或有效的电子邮箱",
                                                en: "enter an 11-digit mobile number or an e-mail address")])
        }
        let hash = addressHash(address, sealer)
        let code = String(format: "%06d", Int.random(in: 0..<1_000_000))
        let message = OutboxMessage()
        // The count and the insert run as one serialized step, so parallel requests cannot exceed the limit.
        try await AuditLog.chainGate.run { try await db.transaction { tx in
            let recent = try await VerificationCode.query(on: tx).filter(\.$addressHash == hash)
                .filter(\.$createdAt > time.now() - 3600).count()
            if recent >= maxCodesPerHour {
                throw DomainError.conflict(code: "too_many_codes", zh: "验证码发送过于频繁，请一小时后再试",
                                           en: "too many codes for this address; try again in an hour")
            }
            let record = VerificationCode()
            record.addressHash = hash
            record.codeHash = sealer.keyedHash(code, purpose: "code:\(hash)")
            record.expiresAt = time.now() + codeLifetime
            record.attempts = 0
            record.consumed = false
            record.createdAt = time.now()
            try await record.create(on: tx)
            message.channel = address.channel
            message.recipientCipher = try sealer.seal(Data(address.value.utf8), context: "outbox-recipient")
            message.bodyCipher = try sealer.seal(Data("【技能等级认定】您的注册验证码是 \(code)，10 分钟内有效。".utf8), context: "outbox-body")
            message.createdAt = time.now()
            try await message.create(on: tx)
        } }
        try await deliver(message, sealer: sealer, sender: sender, on: db, time: time)
    }

    /// Sends one queued message and marks it sent; a failure leaves it queued for the next attempt.
    static func deliver(_ message: OutboxMessage, sealer: ContentSealer, sender: any MessageSender, on db: any Database,
                        time: any TimeSource) async throws {
        let recipient = String(decoding: try sealer.open(message.recipientCipher, context: "outbox-recipient"), as: UTF8.self)
        let body = String(decoding: try sealer.open(message.bodyCipher, context: "outbox-body"), as: UTF8.self)
        try await sender.send(channel: message.channel, recipient: recipient, body: body)
        message.sentAt = time.now()
        try await message.save(on: db)
    }

    /// Creates a candidate account from a verified code. The address becomes the sign-in name.
    public static func register(contact raw: String, code: String, fullName: String, password: String, idNumber: String = "",
                                hasher: any PasswordHashing,
                                sealer: ContentSealer, on db: any Database, time: any TimeSource) async throws -> SignedInUser {
        var v = FieldValidator()
        let name = v.require(fullName, field: "fullName", label: "姓名", maxLength: 50)
        guard let address = ContactAddress(raw) else {
            throw ValidationFailure([FieldError(code: "invalid_contact", field: "contact", zh: "请填写 11 位手机号码或有效的电子邮箱",
                                                en: "enter an 11-digit mobile number or an e-mail address")])
        }
        let username = "c" + String(addressHash(address, sealer).prefix(15))
        PasswordPolicy.problems(password, username: address.value).forEach { v.add($0) }
        try v.check()
        let hash = addressHash(address, sealer)
        guard let record = try await VerificationCode.query(on: db).filter(\.$addressHash == hash).filter(\.$consumed == false)
            .sort(\.$createdAt, .descending).first(), record.expiresAt > time.now(), record.attempts < maxAttempts else {
            throw ValidationFailure([FieldError(code: "code_expired", field: "code", zh: "验证码已失效，请重新获取", en: "the code has expired; request a new one")])
        }
        // Count the attempt before comparing, atomically, so parallel guesses cannot share one attempt.
        let recordID = try record.requireID()
        let counted = try await AuditLog.chainGate.run {
            try await db.transaction { tx -> Bool in
                guard let fresh = try await VerificationCode.find(recordID, on: tx), fresh.attempts < maxAttempts, !fresh.consumed else {
                    return false
                }
                fresh.attempts += 1
                try await fresh.save(on: tx)
                return true
            }
        }
        guard counted else {
            throw ValidationFailure([FieldError(code: "code_expired", field: "code", zh: "验证码已失效，请重新获取", en: "the code has expired; request a new one")])
        }
        guard record.codeHash == sealer.keyedHash(code.trimmingCharacters(in: .whitespaces), purpose: "code:\(hash)") else {
            throw ValidationFailure([FieldError(code: "wrong_code", field: "code", zh: "验证码不正确", en: "the code is wrong")])
        }
        let existing: CandidateProfile?
        switch address {
        case .mobile: existing = try await CandidateProfile.query(on: db).filter(\.$phoneHash == hash).first()
        case .email(let e): existing = try await CandidateProfile.query(on: db).filter(\.$email == e).first()
        }
        if let existing {
            // A batch registration created this account; whoever proves the mobile number claims it.
            if let user = try await User.find(existing.userID, on: db), user.passwordHash == Accounts.unclaimedPasswordHash {
                // The mobile number alone is not proof: an employer may have mistyped it. The document number must match.
                let number = idNumber.filter { !$0.isWhitespace }.uppercased()
                guard !number.isEmpty, sealer.keyedHash(number, purpose: "id-number") == existing.idNumberHash else {
                    throw ValidationFailure([FieldError(code: "claim_needs_id", field: "idNumber",
                                                        zh: "该手机号码已由单位集体报名。请填写报名时使用的证件号码以认领账号",
                                                        en: "this number was registered by an employer; give the document number used there to claim the account")])
                }
                return try await claim(user, profile: existing, code: record, password: password, hasher: hasher, address: address, on: db, time: time)
            }
            throw ValidationFailure([FieldError(code: "already_registered", field: "contact", zh: "该手机号或邮箱已注册，请直接登录",
                                                en: "already registered; sign in instead")])
        }
        let passwordHash = try await hasher.hash(password)
        return try await AuditLog.transaction(on: db, actor: .system("self-registration"), time: time) { audit in
            record.consumed = true
            try await record.save(on: audit.db)
            let user = User(username: username, displayName: name, passwordHash: passwordHash, createdAt: time.now())
            try await user.create(on: audit.db)
            let userID = try user.requireID()
            try await UserRoleAssignment(userID: userID, role: .candidate).create(on: audit.db)
            let profile = CandidateProfile()
            profile.userID = userID
            profile.fullName = name
            profile.employer = ""
            profile.updatedAt = time.now()
            switch address {
            case .mobile(let m):
                profile.phoneCipher = try sealer.seal(Data(m.utf8), context: "candidate-phone:\(userID.uuidString)")
                profile.phoneHash = hash
                profile.phoneMasked = address.masked
            case .email(let e):
                profile.email = e
            }
            try await profile.create(on: audit.db)
            try await audit.record(AuditEvent(action: "candidate.register", targetType: "candidate", targetID: userID.uuidString,
                                              details: "self-registered with \(address.channel) \(address.masked)"))
            return SignedInUser(id: userID, username: username, displayName: name, roles: [.candidate])
        }
    }

    /// Sets the password of an account a batch registration created, once the candidate has proved the mobile number.
    static func claim(_ user: User, profile: CandidateProfile, code record: VerificationCode, password: String, hasher: any PasswordHashing, address: ContactAddress,
                      on db: any Database, time: any TimeSource) async throws -> SignedInUser {
        let passwordHash = try await hasher.hash(password)
        let userID = try user.requireID()
        return try await AuditLog.transaction(on: db, actor: AuditActor(id: userID, name: profile.fullName), time: time) { audit in
            guard let fresh = try await User.find(userID, on: audit.db), fresh.passwordHash == Accounts.unclaimedPasswordHash else {
                throw ValidationFailure([FieldError(code: "already_registered", field: "contact", zh: "该手机号或邮箱已注册，请直接登录",
                                                    en: "already registered; sign in instead")])
            }
            record.consumed = true
            try await record.save(on: audit.db)
            fresh.passwordHash = passwordHash
            try await fresh.save(on: audit.db)
            try await audit.record(AuditEvent(action: "candidate.claim", targetType: "candidate", targetID: userID.uuidString,
                                              details: "batch-registered account claimed with \(address.channel) \(address.masked)"))
            return SignedInUser(id: userID, username: fresh.username, displayName: fresh.displayName, roles: [.candidate])
        }
    }

    /// The sign-in name of the candidate registered with this mobile number or e-mail address, if any.
    public static func username(forContact raw: String, sealer: ContentSealer, on db: any Database) async throws -> String? {
        guard let address = ContactAddress(raw) else { return nil }
        let profile: CandidateProfile?
        switch address {
        case .mobile: profile = try await CandidateProfile.query(on: db).filter(\.$phoneHash == addressHash(address, sealer)).first()
        case .email(let e): profile = try await CandidateProfile.query(on: db).filter(\.$email == e).first()
        }
        guard let profile else { return nil }
        return try await User.find(profile.userID, on: db)?.username
    }

    /// What a candidate enters about themselves.
    public struct ProfileInput: Sendable {
        public var fullName: String
        public var idType: String
        public var idNumber: String
        public var employer: String
        /// Education, work, certificates and titles (dates and flags as in the applicant-profile format).
        public var background: RawApplicantProfile?

        public init(fullName: String, idType: String, idNumber: String, employer: String, background: RawApplicantProfile? = nil) {
            self.fullName = fullName
            self.idType = idType
            self.idNumber = idNumber
            self.employer = employer
            self.background = background
        }
    }

    /// Saves the candidate's name, ID document and employer. A resident ID is checked (GB 11643) and gives the birth
    /// date and sex; the number is stored encrypted, with a keyed hash for exact search and a masked form for lists.
    public static func updateProfile(userID: UUID, _ input: ProfileInput, sealer: ContentSealer, on db: any Database,
                                     time: any TimeSource) async throws {
        var v = FieldValidator()
        let name = v.require(input.fullName, field: "fullName", label: "姓名", maxLength: 50)
        v.require(input.employer, field: "employer", label: "工作单位", maxLength: 100)
        let number = input.idNumber.filter { !$0.isWhitespace }.uppercased()
        var birth: String?
        var sex: String?
        if !idTypes.contains(where: { $0.key == input.idType }) {
            v.add(FieldError(code: "invalid_value", field: "idType", zh: "请选择证件类型", en: "choose an ID document type"))
        } else if input.idType == "resident-id" {
            switch ResidentID.parse(number, today: time.now().chinaLocalDate) {
            case .success(let id):
                birth = id.birthDate.description
                sex = id.sex.rawValue
            case .failure(let problem):
                v.add(FieldError(code: problem.code, field: "idNumber", zh: problem.messageZH, en: problem.messageEN))
            }
        } else if number.count == 18, case .success = ResidentID.parse(number, today: time.now().chinaLocalDate),
                  input.idType != "residence-permit" {
            v.add(FieldError(code: "wrong_id_type", field: "idType", zh: "这是居民身份证号码，请选择“居民身份证”",
                             en: "this is a resident ID number; choose the resident ID type"))
        } else if input.idType == "residence-permit", case .failure(let problem) = ResidentID.parse(number, today: time.now().chinaLocalDate) {
            // 港澳台居民居住证 numbers follow the same GB 11643 rule.
            v.add(FieldError(code: problem.code, field: "idNumber", zh: problem.messageZH, en: problem.messageEN))
        } else if !(5...30).contains(number.count) || !number.allSatisfy({ $0.isASCII && ($0.isLetter || $0.isNumber) }) {
            v.add(FieldError(code: "invalid_format", field: "idNumber", zh: "证件号码应为 5–30 位字母或数字", en: "the document number must be 5–30 letters or digits"))
        }
        var backgroundJSON: String?
        if var background = input.background {
            background.asOf = nil
            background.birthDate = birth
            do { _ = try background.parse(today: time.now().chinaLocalDate) } catch let failure as ValidationFailure {
                failure.errors.forEach { v.add($0) }
            }
            background.birthDate = nil
            backgroundJSON = String(decoding: try JSONEncoder().encode(background), as: UTF8.self)
        }
        try v.check()
        let (birthDate, sexValue, backgroundText) = (birth, sex, backgroundJSON)
        // Keyed on the number alone, so the same number cannot be registered twice under different types.
        let hash = sealer.keyedHash(number, purpose: "id-number")
        if let other = try await CandidateProfile.query(on: db).filter(\.$idNumberHash == hash).first(), other.userID != userID {
            throw ValidationFailure([FieldError(code: "id_taken", field: "idNumber", zh: "该证件号码已被其他账号使用，如有疑问请联系考务部门",
                                                en: "this document number belongs to another account")])
        }
        try await AuditLog.transaction(on: db, actor: AuditActor(id: userID, name: name), time: time) { audit in
            guard let profile = try await CandidateProfile.query(on: audit.db).filter(\.$userID == userID).first() else {
                throw DomainError.notFound(what: "candidate")
            }
            let before = [profile.fullName, profile.idType ?? "", profile.idNumberMasked ?? "", profile.employer]
            profile.fullName = name
            profile.idType = input.idType
            profile.idNumberCipher = try sealer.seal(Data(number.utf8), context: "candidate-id:\(userID.uuidString)")
            profile.idNumberHash = hash
            profile.idNumberMasked = ["resident-id", "residence-permit"].contains(input.idType)
                ? ResidentID.mask(number) : maskDocument(number)
            profile.birthDate = birthDate
            profile.sex = sexValue
            profile.employer = input.employer.trimmingCharacters(in: .whitespaces)
            if let backgroundText { profile.background = backgroundText }
            profile.updatedAt = time.now()
            try await profile.save(on: audit.db)
            try await audit.record(AuditEvent(action: "candidate.profile", targetType: "candidate", targetID: userID.uuidString,
                                              before: before, after: [name, input.idType, profile.idNumberMasked ?? "", profile.employer],
                                              details: "profile updated (\(profile.idNumberMasked ?? ""))"))
        }
    }

    /// Replaces the candidate's photo after checking it (JPEG/PNG, size, pixels, 1-inch proportion).
    public static func setPhoto(userID: UUID, data: Data, files: any FileStore, on db: any Database, time: any TimeSource) async throws {
        let maxBytes = try await SettingsStore.value(.photoMaxKB, on: db) * 1024
        let (kind, size) = try UploadRules.photo(data, maxBytes: maxBytes)
        let key = try await files.put(data)
        try await AuditLog.transaction(on: db, actor: AuditActor(id: userID, name: "candidate"), time: time) { audit in
            guard let profile = try await CandidateProfile.query(on: audit.db).filter(\.$userID == userID).first() else {
                throw DomainError.notFound(what: "candidate")
            }
            let before = profile.photoKey
            profile.photoKey = key
            profile.photoMediaType = kind.mediaType
            profile.updatedAt = time.now()
            try await profile.save(on: audit.db)
            try await audit.record(AuditEvent(action: "candidate.photo", targetType: "candidate", targetID: userID.uuidString,
                                              before: before, after: key, details: "photo \(size.width)×\(size.height) \(kind.rawValue)"))
        }
    }

    /// Other documents show their first two and last two characters only.
    static func maskDocument(_ number: String) -> String {
        guard number.count > 4 else { return String(repeating: "*", count: number.count) }
        return String(number.prefix(2)) + String(repeating: "*", count: number.count - 4) + String(number.suffix(2))
    }

    /// Candidates by exact ID number (keyed hash) or by name.
    public static func search(_ text: String, sealer: ContentSealer, on db: any Database) async throws -> [CandidateProfile] {
        let q = text.trimmingCharacters(in: .whitespaces)
        guard !q.isEmpty else { return try await CandidateProfile.query(on: db).sort(\.$updatedAt, .descending).limit(200).all() }
        let number = q.filter { !$0.isWhitespace }.uppercased()
        let hash = sealer.keyedHash(number, purpose: "id-number")
        return try await CandidateProfile.query(on: db).group(.or) {
            $0.filter(\.$idNumberHash == hash).filter(\.$fullName ~~ q)
        }.limit(200).all()
    }
}
