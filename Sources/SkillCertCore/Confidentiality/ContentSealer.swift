import Crypto
import Foundation

/// Encrypts confidential content (item text, sealed papers) with AES-GCM. The associated data binds each ciphertext
/// to the record it belongs to, so a ciphertext copied onto another row does not decrypt.
public struct ContentSealer: Sendable {
    private let key: SymmetricKey

    public init(key: SymmetricKey) { self.key = key }

    /// Reads a key: 32 bytes, base64-encoded.
    public init?(base64: String) {
        guard let data = Data(base64Encoded: base64.trimmingCharacters(in: .whitespacesAndNewlines)), data.count == 32 else {
            return nil
        }
        key = SymmetricKey(data: data)
    }

    /// A fresh random key, base64-encoded.
    public static func newKeyBase64() -> String {
        SymmetricKey(size: .bits256).withUnsafeBytes { Data($0) }.base64EncodedString()
    }

    public func seal(_ plaintext: Data, context: String) throws -> String {
        try AES.GCM.seal(plaintext, using: key, authenticating: Data(context.utf8)).combined!.base64EncodedString()
    }

    /// Seals with a caller-supplied 12-byte nonce, which must come from a cryptographic random source (batch imports
    /// draw many at once instead of asking the kernel for each).
    /// The same text as `seal(_:context:)` gives with that nonce (nonce, ciphertext and tag in base64), built without
    /// `Data`: the import seals two values per row.
    public func seal(_ plaintext: String, context: String, randomNonce: some Sequence<UInt8>) throws -> String {
        var combined = Array(randomNonce)
        let box = try AES.GCM.seal(Array(plaintext.utf8), using: key, nonce: try AES.GCM.Nonce(data: combined),
                                   authenticating: Array(context.utf8))
        combined.reserveCapacity(combined.count + box.ciphertext.count + box.tag.count)
        combined.append(contentsOf: box.ciphertext)
        combined.append(contentsOf: box.tag)
        return Base64.encoded(combined)
    }

    public func open(_ sealed: String, context: String) throws -> Data {
        guard let data = Data(base64Encoded: sealed) else { throw SealError.malformed }
        return try AES.GCM.open(try AES.GCM.SealedBox(combined: data), using: key, authenticating: Data(context.utf8))
    }

    /// A keyed hash (HMAC-SHA256 under a key derived for `purpose`) for exact look-ups of encrypted values, such as
    /// finding a candidate by ID number without storing the number in the clear.
    public func keyedHash(_ value: String, purpose: String) -> String {
        keyedHasher(purpose: purpose)(value)
    }

    /// The keyed hash of `keyedHash(_:purpose:)` with its key derived once, for hashing many values (batch imports).
    public func keyedHasher(purpose: String) -> @Sendable (String) -> String {
        let derived = HKDF<SHA256>.deriveKey(inputKeyMaterial: key, info: Data("skillcert:\(purpose)".utf8), outputByteCount: 32)
        // The keyed inner and outer states are computed once; each value continues from a copy of them.
        let keyed = KeyedHMAC(state: HMAC<SHA256>(key: derived))
        return { value in
            var mac = keyed.state
            var text = value
            text.withUTF8 { mac.update(data: UnsafeRawBufferPointer($0)) }
            return mac.finalize().withUnsafeBytes { $0.hexString }
        }
    }

    /// A keyed HMAC state that is only ever copied, never mutated in place, so sharing it between threads is safe.
    private struct KeyedHMAC: @unchecked Sendable { let state: HMAC<SHA256> }

    /// Seals a value as JSON.
    public func seal<T: Encodable>(json value: T, context: String) throws -> String {
        try seal(try JSONEncoder().encode(value), context: context)
    }

    public func open<T: Decodable>(_ type: T.Type, from sealed: String, context: String) throws -> T {
        try JSONDecoder().decode(T.self, from: try open(sealed, context: context))
    }

    public enum SealError: Error { case malformed }
}
