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

    /// Signs `credentials` with the active key; returns the JWTs in order and the key's id.
    public func sign(_ credentials: [CertificateCredential], on db: any Database, time: any TimeSource) async throws -> (jwts: [String], kid: String) {
        let key = try await activeKey(on: db, time: time)
        try await ensureLoaded(key)
        let kid = JWKIdentifier(string: key.kid)
        var out: [String] = []
        out.reserveCapacity(credentials.count)
        for c in credentials {
            out.append(try await collection.sign(c, kid: kid, header: ["typ": .string("vc+jwt"), "cty": .string("vc")]))
        }
        return (out, key.kid)
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

    public static func base64url(_ data: some DataProtocol) -> String {
        Data(data).base64EncodedString().replacingOccurrences(of: "+", with: "-").replacingOccurrences(of: "/", with: "_")
            .replacingOccurrences(of: "=", with: "")
    }
}
