// swift-tools-version:6.1
import PackageDescription

let swiftSettings: [SwiftSetting] = [
    .enableUpcomingFeature("ExistentialAny"),
]

let package = Package(
    name: "skillcert",
    platforms: [.macOS(.v14)],
    products: [
        .executable(name: "skillcert", targets: ["SkillCertCLI"]),
    ],
    dependencies: [
        .package(url: "https://github.com/vapor/vapor.git", from: "4.122.3"),
        .package(url: "https://github.com/vapor/fluent.git", from: "4.13.0"),
        .package(url: "https://github.com/vapor/fluent-kit.git", from: "1.57.0"),
        .package(url: "https://github.com/vapor/fluent-sqlite-driver.git", from: "4.9.0"),
        .package(url: "https://github.com/vapor/fluent-postgres-driver.git", from: "2.14.0"),
        .package(url: "https://github.com/vapor/sql-kit.git", from: "3.36.0"),
        .package(url: "https://github.com/apple/swift-argument-parser.git", from: "1.8.2"),
        .package(url: "https://github.com/apple/swift-log.git", from: "1.16.2"),
        .package(url: "https://github.com/apple/swift-metrics.git", from: "2.13.0"),
        .package(url: "https://github.com/swift-server/swift-prometheus.git", from: "2.4.1"),
        .package(url: "https://github.com/apple/swift-crypto.git", from: "4.5.2"),
        .package(url: "https://github.com/vapor/jwt-kit.git", from: "5.8.0"),
        .package(url: "https://github.com/jpsim/Yams.git", from: "6.2.2"),
        .package(url: "https://github.com/weichsel/ZIPFoundation.git", from: "0.9.20"),
    ],
    targets: [
        // The domain: types, rules and algorithms. No web framework, no database driver.
        .target(
            name: "SkillCertCore",
            dependencies: [
                .product(name: "Crypto", package: "swift-crypto"),
            ],
            swiftSettings: swiftSettings
        ),
        // Fluent models, migrations and queries: the only place that knows SQL.
        .target(
            name: "SkillCertPersistence",
            dependencies: [
                "SkillCertCore",
                .product(name: "FluentKit", package: "fluent-kit"),
                .product(name: "FluentSQL", package: "fluent-kit"),
                .product(name: "SQLKit", package: "sql-kit"),
                .product(name: "FluentSQLiteDriver", package: "fluent-sqlite-driver"),
                .product(name: "FluentPostgresDriver", package: "fluent-postgres-driver"),
                .product(name: "Crypto", package: "swift-crypto"),
                .product(name: "JWTKit", package: "jwt-kit"),
                .product(name: "Yams", package: "Yams"),
                .product(name: "Logging", package: "swift-log"),
            ],
            resources: [.copy("Resources")],
            swiftSettings: swiftSettings
        ),
        // cairo + pango (PDF with embedded CJK fonts), from Debian's -dev packages.
        .systemLibrary(
            name: "CPangoCairo",
            pkgConfig: "pangocairo",
            providers: [.apt(["libpango1.0-dev", "libcairo2-dev"])]
        ),
        // libqrencode (QR code symbols), from Debian's -dev package.
        .systemLibrary(name: "CQREncode", pkgConfig: "libqrencode", providers: [.apt(["libqrencode-dev"])]),
        // The system zlib, for reading uploaded ZIP archives (ZIPFoundation only writes them; ADR 0006). Not "CZlib":
        // on Linux ZIPFoundation declares a module of that name and two module maps with one name do not build.
        .systemLibrary(name: "CSystemZlib", pkgConfig: "zlib", providers: [.apt(["zlib1g-dev"])]),
        // Spreadsheets, PDF and QR codes behind small interfaces.
        .target(
            name: "SkillCertDocuments",
            dependencies: [
                "CQREncode",
                "CSystemZlib",
                "SkillCertCore",
                "CPangoCairo",
                .product(name: "ZIPFoundation", package: "ZIPFoundation"),
            ],
            swiftSettings: swiftSettings
        ),
        // Routes, controllers, views and middleware.
        .target(
            name: "SkillCertWeb",
            dependencies: [
                "SkillCertCore",
                "SkillCertPersistence",
                "SkillCertDocuments",
                .product(name: "Vapor", package: "vapor"),
                .product(name: "Fluent", package: "fluent"),
                .product(name: "Metrics", package: "swift-metrics"),
                .product(name: "Prometheus", package: "swift-prometheus"),
            ],
            swiftSettings: swiftSettings
        ),
        // The one executable: serve, migrate, demo, admin, audit.
        .executableTarget(
            name: "SkillCertCLI",
            dependencies: [
                "SkillCertCore",
                "SkillCertPersistence",
                "SkillCertWeb",
                .product(name: "ArgumentParser", package: "swift-argument-parser"),
                .product(name: "Vapor", package: "vapor"),
            ],
            swiftSettings: swiftSettings
        ),
        .target(
            name: "SkillCertTestSupport",
            dependencies: [
                "SkillCertCore",
                "SkillCertPersistence",
                "SkillCertWeb",
                .product(name: "Vapor", package: "vapor"),
                .product(name: "VaporTesting", package: "vapor"),
            ],
            path: "Tests/SkillCertTestSupport",
            swiftSettings: swiftSettings
        ),
        .testTarget(
            name: "SkillCertCoreTests",
            dependencies: ["SkillCertCore"],
            swiftSettings: swiftSettings
        ),
        .testTarget(
            name: "SkillCertPersistenceTests",
            dependencies: ["SkillCertPersistence", "SkillCertTestSupport"],
            swiftSettings: swiftSettings
        ),
        .testTarget(
            name: "SkillCertDocumentsTests",
            dependencies: [
                "SkillCertDocuments", "CSystemZlib",
                .product(name: "ZIPFoundation", package: "ZIPFoundation"),
            ],
            swiftSettings: swiftSettings
        ),
        .testTarget(
            name: "SkillCertWebTests",
            dependencies: [
                "SkillCertWeb", "SkillCertTestSupport", "SkillCertDocuments",
                .product(name: "ZIPFoundation", package: "ZIPFoundation"),
                .product(name: "VaporTesting", package: "vapor"),
            ],
            swiftSettings: swiftSettings
        ),
    ]
)
