// swift-tools-version:6.2
import PackageDescription

let swiftSettings: [SwiftSetting] = [
    .swiftLanguageMode(.v6),
    .enableUpcomingFeature("ExistentialAny"),
    .enableUpcomingFeature("InternalImportsByDefault"),
    .enableUpcomingFeature("MemberImportVisibility"),
]

let package = Package(
    name: "mpesa-recon",
    platforms: [.macOS(.v15)],
    products: [
        .executable(name: "mpesa-recon", targets: ["mpesa-recon"])
    ],
    dependencies: [
        .package(url: "https://github.com/apple/swift-argument-parser.git", from: "1.8.2"),
        .package(url: "https://github.com/apple/swift-log.git", from: "1.16.2"),
    ],
    targets: [
        // Pure domain: no I/O.
        .target(name: "ReconCore", swiftSettings: swiftSettings),

        // C libraries from Debian packages.
        .systemLibrary(name: "CLibPQ", pkgConfig: "libpq", providers: [.apt(["libpq-dev"])]),
        .systemLibrary(name: "CCurl", pkgConfig: "libcurl", providers: [.apt(["libcurl4-openssl-dev"])]),
        .systemLibrary(name: "CXLSXWriter", pkgConfig: "xlsxwriter", providers: [.apt(["libxlsxwriter-dev"])]),
        .systemLibrary(name: "COpenSSL", pkgConfig: "libcrypto", providers: [.apt(["libssl-dev"])]),

        .target(
            name: "ReconPostgres",
            dependencies: [
                "ReconCore", "CLibPQ",
                .product(name: "Logging", package: "swift-log"),
            ],
            resources: [],
            swiftSettings: swiftSettings
        ),
        .target(
            name: "ReconHTTP",
            dependencies: ["CCurl"],
            swiftSettings: swiftSettings
        ),
        .target(
            name: "ReconReports",
            dependencies: [
                "ReconCore", "ReconPostgres", "CXLSXWriter",
                .product(name: "Logging", package: "swift-log"),
            ],
            swiftSettings: swiftSettings
        ),
        .executableTarget(
            name: "mpesa-recon",
            dependencies: [
                "ReconCore", "ReconPostgres", "ReconHTTP", "ReconReports",
                .product(name: "ArgumentParser", package: "swift-argument-parser"),
                .product(name: "Logging", package: "swift-log"),
            ],
            swiftSettings: swiftSettings
        ),

        // Shared by the test targets: the throwaway PostgreSQL and per-test databases.
        .target(
            name: "ReconTestSupport",
            dependencies: ["ReconCore", "ReconPostgres"],
            path: "Tests/Support",
            swiftSettings: swiftSettings
        ),

        .testTarget(name: "ReconCoreTests", dependencies: ["ReconCore"], swiftSettings: swiftSettings),
        .testTarget(
            name: "ReconPostgresTests",
            dependencies: ["ReconPostgres", "ReconTestSupport"],
            swiftSettings: swiftSettings
        ),
        .testTarget(
            name: "ReconHTTPTests",
            dependencies: ["ReconHTTP", "ReconTestSupport"],
            swiftSettings: swiftSettings
        ),
        .testTarget(
            name: "ReconReportsTests",
            dependencies: ["ReconReports", "ReconCore", "ReconPostgres", "ReconTestSupport"],
            exclude: ["check_xlsx.py", "Golden"],
            swiftSettings: swiftSettings
        ),
    ]
)
