import Crypto
import FluentKit
import Foundation
import JWTKit
import SkillCertCore

/// A certificate as a W3C Verifiable Credential 2.0 shaped as an Open Badges 3.0 `OpenBadgeCredential`, secured as a
/// JWT (VC-JOSE: the payload is the credential, plus the registered claims JOSE libraries check).
public struct CertificateCredential: JWTPayload, Equatable {
    public struct Issuer: Codable, Sendable, Equatable {
        public var id: String
        public var type: [String]
        public var name: String
    }

    public struct Criteria: Codable, Sendable, Equatable {
        public var narrative: String
    }

    public struct Achievement: Codable, Sendable, Equatable {
        public var id: String
        public var type: [String]
        public var achievementType: String
        public var name: String
        public var description: String
        public var criteria: Criteria
        public var fieldOfStudy: String
        public var humanCode: String
    }

    public struct Identifier: Codable, Sendable, Equatable {
        public var type: String
        public var identityHash: String
        public var identityType: String
        public var hashed: Bool
        public var salt: String
    }

    public struct Subject: Codable, Sendable, Equatable {
        public var type: [String]
        /// The holder's name (an extension the Chinese certificate needs; Open Badges identifies by `identifier`).
        public var name: String
        public var identifier: [Identifier]
        public var achievement: Achievement
    }

    public struct Status: Codable, Sendable, Equatable {
        public var id: String
        public var type: String
        public var statusPurpose: String
        public var statusListIndex: String
        public var statusListCredential: String
    }

    public var context: [String]
    public var id: String
    public var type: [String]
    public var name: String
    public var issuer: Issuer
    public var validFrom: String
    public var credentialSubject: Subject
    public var credentialStatus: [Status]
    // Registered JWT claims.
    public var iss: String
    public var jti: String
    public var sub: String
    public var iat: Int
    public var nbf: Int

    enum CodingKeys: String, CodingKey {
        case context = "@context"
        case id, type, name, issuer, validFrom, credentialSubject, credentialStatus, iss, jti, sub, iat, nbf
    }

    /// Signature and format are what is checked; a certificate does not expire.
    public func verify(using algorithm: some JWTAlgorithm) async throws {}

    public static let contexts = ["https://www.w3.org/ns/credentials/v2", "https://purl.imsglobal.org/spec/ob/v3p0/context-3.0.3.json"]

    /// The credential as JSON, written directly (the same members `Codable` gives, in declaration order): a batch
    /// of certificates spent half its signing time in `JSONEncoder`.
    public var json: String {
        let s = JSONText.string
        func strings(_ list: [String]) -> String { "[" + list.map { s($0) }.joined(separator: ",") + "]" }
        let subject = credentialSubject
        let achievement = subject.achievement
        let identifiers = subject.identifier.map { i in
            #"{"type":\#(s(i.type)),"identityHash":\#(s(i.identityHash)),"identityType":\#(s(i.identityType)),"hashed":\#(i.hashed),"salt":\#(s(i.salt))}"#
        }
        let statuses = credentialStatus.map { t in
            #"{"id":\#(s(t.id)),"type":\#(s(t.type)),"statusPurpose":\#(s(t.statusPurpose)),"statusListIndex":\#(s(t.statusListIndex)),"statusListCredential":\#(s(t.statusListCredential))}"#
        }
        let achievementJSON = #"{"id":\#(s(achievement.id)),"type":\#(strings(achievement.type)),"achievementType":\#(s(achievement.achievementType)),"name":\#(s(achievement.name)),"description":\#(s(achievement.description)),"criteria":{"narrative":\#(s(achievement.criteria.narrative))},"fieldOfStudy":\#(s(achievement.fieldOfStudy)),"humanCode":\#(s(achievement.humanCode))}"#
        let subjectJSON = #"{"type":\#(strings(subject.type)),"name":\#(s(subject.name)),"identifier":[\#(identifiers.joined(separator: ","))],"achievement":\#(achievementJSON)}"#
        return #"{"@context":\#(strings(context)),"id":\#(s(id)),"type":\#(strings(type)),"name":\#(s(name)),"issuer":{"id":\#(s(issuer.id)),"type":\#(strings(issuer.type)),"name":\#(s(issuer.name))},"validFrom":\#(s(validFrom)),"credentialSubject":\#(subjectJSON),"credentialStatus":[\#(statuses.joined(separator: ","))],"iss":\#(s(iss)),"jti":\#(s(jti)),"sub":\#(s(sub)),"iat":\#(iat),"nbf":\#(nbf)}"#
    }
}

/// A W3C Bitstring Status List credential: one bit per certificate, set when it is revoked (or suspended).
public struct StatusListCredential: JWTPayload, Equatable {
    public struct Subject: Codable, Sendable, Equatable {
        public var id: String
        public var type: String
        public var statusPurpose: String
        public var encodedList: String
    }

    public var context: [String]
    public var id: String
    public var type: [String]
    public var issuer: CertificateCredential.Issuer
    public var validFrom: String
    public var credentialSubject: Subject
    public var iss: String
    public var iat: Int

    enum CodingKeys: String, CodingKey {
        case context = "@context"
        case id, type, issuer, validFrom, credentialSubject, iss, iat
    }

    public func verify(using algorithm: some JWTAlgorithm) async throws {}
}

/// Signs credentials with the installation's Ed25519 keys and publishes their public halves (JWKS). Keys live in the
/// database, their private halves sealed with the content key; the newest unretired key signs, and rotation keeps
/// the old keys published.
public actor CredentialSigner {
    let sealer: ContentSealer
    private var collection = JWTKeyCollection()
    private var loaded: Set<String> = []

    public init(sealer: ContentSealer) { self.sealer = sealer }

    /// The key that signs now, created on first use.
    func activeKey(on db: any Database, time: any TimeSource) async throws -> SigningKey {
        if let key = try await SigningKey.query(on: db).filter(\.$retiredAt == nil).sort(\.$createdAt, .descending).first() { return key }
        return try await Self.createKey(sealer: sealer, on: db, time: time)
    }

    static func createKey(sealer: ContentSealer, on db: any Database, time: any TimeSource) async throws -> SigningKey {
        let key = Curve25519.Signing.PrivateKey()
        let record = SigningKey()
        let now = time.now()
        let x = base64url(key.publicKey.rawRepresentation)
        record.kid = "skillcert-" + AuditRecord.timestamp(now).prefix(10).replacingOccurrences(of: "-", with: "") + "-" + x.prefix(8)
        record.privateSealed = try sealer.seal(key.rawRepresentation, context: "signing-key:\(record.kid)")
        record.publicX = x
        record.createdAt = now
        try await record.create(on: db)
        return record
    }

    private func ensureLoaded(_ key: SigningKey) async throws {
        guard !loaded.contains(key.kid) else { return }
        let raw = try sealer.open(key.privateSealed, context: "signing-key:\(key.kid)")
        let privateKey = try Curve25519.Signing.PrivateKey(rawRepresentation: raw)
        await collection.add(eddsa: EdDSA.PrivateKey(backing: privateKey), kid: JWKIdentifier(string: key.kid))
        loaded.insert(key.kid)
    }

    /// The active key, for signing a batch on every core.
    public struct Key: Sendable {
        public let kid: String
        let privateKey: Curve25519.Signing.PrivateKey
        /// The protected header, base64url, the same for every credential the key signs.
        let header: [UInt8]

        init(kid: String, privateKey: Curve25519.Signing.PrivateKey) {
            self.kid = kid
            self.privateKey = privateKey
            header = Array(CredentialSigner.base64url(Array(#"{"alg":"EdDSA","cty":"vc","kid":"\#(kid)","typ":"vc+jwt"}"#.utf8)).utf8)
        }

        /// A compact JWS (`alg` EdDSA, `typ` vc+jwt, `cty` vc, `kid`), as JWTKit makes and verifies it, made here so
        /// that a batch signs on every core rather than one at a time through the key collection's actor. The
        /// signing input is built in one byte buffer.
        public func sign(json payload: String) throws -> String {
            let body = Array(payload.utf8)
            var input: [UInt8] = []
            input.reserveCapacity(header.count + 1 + (body.count * 4 + 2) / 3 + 1 + 86)
            input += header
            input.append(UInt8(ascii: "."))
            Base64.append(body, to: &input, .url)
            let signature = try privateKey.signature(for: input)
            input.append(UInt8(ascii: "."))
            Base64.append(Array(signature), to: &input, .url)
            return String(decoding: input, as: UTF8.self)
        }
    }

    /// The key that signs now (created on first use), with its private half opened.
    public func signingKey(on db: any Database, time: any TimeSource) async throws -> Key {
        let key = try await activeKey(on: db, time: time)
        let raw = try sealer.open(key.privateSealed, context: "signing-key:\(key.kid)")
        return Key(kid: key.kid, privateKey: try Curve25519.Signing.PrivateKey(rawRepresentation: raw))
    }

    /// Signs a W3C Bitstring Status List credential (`encodedList`: multibase base64url of the gzipped bits).
    public func signStatusList(id: String, issuer: String, issuerName: String, purpose: String, encodedList: String, validFrom: String,
                               on db: any Database, time: any TimeSource) async throws -> String {
        let key = try await activeKey(on: db, time: time)
        try await ensureLoaded(key)
        let payload = StatusListCredential(context: ["https://www.w3.org/ns/credentials/v2"], id: id, type: ["VerifiableCredential", "BitstringStatusListCredential"],
                                           issuer: .init(id: issuer, type: ["Profile"], name: issuerName), validFrom: validFrom,
                                           credentialSubject: .init(id: id + "#list", type: "BitstringStatusList", statusPurpose: purpose, encodedList: encodedList),
                                           iss: issuer, iat: Int(time.now().timeIntervalSince1970))
        return try await collection.sign(payload, kid: JWKIdentifier(string: key.kid), header: ["typ": .string("vc+jwt"), "cty": .string("vc")])
    }

    /// Verifies a credential against every key, retired ones included.
    public func verify(_ jwt: String, on db: any Database) async throws -> CertificateCredential {
        for key in try await SigningKey.query(on: db).all() { try await ensureLoaded(key) }
        return try await collection.verify(jwt, as: CertificateCredential.self)
    }

    /// The JWKS: every key ever used, so that old credentials keep verifying.
    public static func jwks(on db: any Database) async throws -> String {
        let keys = try await SigningKey.query(on: db).sort(\.$createdAt).all()
        let items = keys.map { k in
            #"{"kty":"OKP","crv":"Ed25519","x":"\#(k.publicX)","kid":"\#(k.kid)","alg":"EdDSA","use":"sig"}"#
        }
        return #"{"keys":["# + items.joined(separator: ",") + "]}"
    }

    /// Retires the signing key and starts a new one; the old one stays published. Audited.
    @discardableResult
    public static func rotate(sealer: ContentSealer, actor: AuditActor, on db: any Database, time: any TimeSource) async throws -> String {
        try await AuditLog.transaction(on: db, actor: actor, time: time) { audit in
            let old = try await SigningKey.query(on: audit.db).filter(\.$retiredAt == nil).all()
            for k in old {
                k.retiredAt = time.now()
                try await k.save(on: audit.db)
            }
            let key = try await createKey(sealer: sealer, on: audit.db, time: time)
            try await audit.record(AuditEvent(action: "signing-key.rotate", targetType: "signing-key", targetID: key.kid,
                                              details: "retired \(old.map(\.kid).joined(separator: ", ")); new \(key.kid)"))
            return key.kid
        }
    }

    /// Base64url without padding (RFC 4648 §5), as JOSE writes it.
    public static func base64url(_ data: some DataProtocol) -> String {
        base64url(Array(data))
    }

    public static func base64url(_ bytes: [UInt8]) -> String { Base64.encoded(bytes, .url) }
}
