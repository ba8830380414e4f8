import Crypto
import Foundation

/// SHA-256 of file contents as lower-case hex, for modules that do not link swift-crypto themselves (the dossier
/// manifest in Documents).
public enum ContentHash {
    /// The digest of `data` in one call.
    public static func sha256(_ data: Data) -> String { SHA256.hash(data: data).hexString }

    /// A digest fed in chunks, for entries read piece by piece.
    public struct Hasher: Sendable {
        private var state = SHA256()

        public init() {}

        public mutating func update(_ bytes: UnsafeRawBufferPointer) { state.update(bufferPointer: bytes) }

        public func finalize() -> String { state.finalize().hexString }
    }
}
