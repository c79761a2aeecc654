// swift-tools-version:6.1
import PackageDescription

/// One settings list for every target: Swift 6 mode and explicit existentials.
let settings: [SwiftSetting] = [
    .swiftLanguageMode(.v6),
    .enableUpcomingFeature("ExistentialAny"),
]

/// How the release `leadsh` is linked, for start-up (issue 16; BENCHMARKS.md, "P1").
///
/// - `--no-export-dynamic`: swiftc exports every symbol of an executable (41,700 for
///   leadsh); the Swift runtime's start-up `dladdr` then scans them all. leadsh loads no
///   plug-ins, so nothing needs them: about 1.5 million instructions less at every start.
/// - `-no-pie`: a position-dependent executable needs none of the 131,000 relative
///   relocations the loader applies to a PIE, and so dirties about 410 fewer pages at
///   every start (720 page faults down to 306 before `main`). The cost: the executable's
///   own image is not placed at a random address (the shared libraries still are). To keep
///   ASLR, drop `-no-pie` and link with `-use-ld=lld -Xlinker -z -Xlinker pack-relative-relocs`
///   instead, which keeps about a tenth of the saving.
///
/// Release builds on Linux only: debug builds and `swift test` link as before.
let releaseStartup: [LinkerSetting] = [
    .unsafeFlags(["-Xlinker", "--no-export-dynamic", "-Xclang-linker", "-no-pie"], .when(platforms: [.linux], configuration: .release))
]

let package = Package(
    name: "leadsh",
    platforms: [.macOS(.v15)],
    products: [
        .executable(name: "leadsh", targets: ["leadsh"]),
        .executable(name: "fake-intercom", targets: ["fake-intercom"]),
        .library(name: "FakeIntercom", targets: ["FakeIntercom"]),
    ],
    dependencies: [
        .package(url: "https://github.com/apple/swift-argument-parser", from: "1.8.2"),
        .package(url: "https://github.com/apple/swift-log", from: "1.16.2"),
        .package(url: "https://github.com/apple/swift-nio", from: "2.101.2"),
        .package(url: "https://github.com/swift-server/async-http-client", from: "1.37.0"),
        .package(url: "https://github.com/apple/swift-nio-ssl", from: "2.37.6"),
        .package(url: "https://github.com/groue/GRDB.swift", from: "7.10.0"),
        .package(url: "https://github.com/LebJe/TOMLKit", from: "0.6.0"),
        .package(url: "https://github.com/swiftlang/swift-subprocess", from: "1.0.2"),
        .package(url: "https://github.com/apple/swift-system", from: "1.5.0"),
        .package(url: "https://github.com/yaslab/CSV.swift", from: "2.5.2"),
    ],
    targets: [
        // Line editor: libedit through a system library target and a shim.
        .systemLibrary(
            name: "CEditLine",
            pkgConfig: "libedit",
            providers: [.apt(["libedit-dev"])]
        ),
        .target(
            name: "LineEditor",
            dependencies: ["CEditLine"],
            swiftSettings: settings
        ),
        // The lead model: contacts, typed values, updates.
        .target(
            name: "LeadModel",
            swiftSettings: settings
        ),
        // Command parser: words, literals, commands.
        .target(
            name: "CommandParser",
            dependencies: ["LeadModel"],
            swiftSettings: settings
        ),
        // CSV import: a file's rows as journal-ready updates, streamed.
        .target(
            name: "LeadImport",
            dependencies: [
                "LeadModel", "CommandParser",
                .product(name: "CSV", package: "CSV.swift"),
            ],
            swiftSettings: settings
        ),
        // Intercom client over AsyncHTTPClient.
        .target(
            name: "IntercomClient",
            dependencies: [
                "LeadModel",
                .product(name: "AsyncHTTPClient", package: "async-http-client"),
                .product(name: "NIOCore", package: "swift-nio"),
                .product(name: "NIOHTTP1", package: "swift-nio"),
                .product(name: "NIOPosix", package: "swift-nio"),
                .product(name: "NIOSSL", package: "swift-nio-ssl"),
            ],
            swiftSettings: settings
        ),
        // The journal: cache of leads and the outbox, on GRDB.
        .target(
            name: "Journal",
            dependencies: [
                "LeadModel",
                .product(name: "GRDB", package: "GRDB.swift"),
                // SQLite's C API, for the import's inner loop and a push's counts (SQLiteStatementHandle.swift).
                .product(name: "GRDBSQLite", package: "GRDB.swift"),
            ],
            swiftSettings: settings
        ),
        // Replayer: drains the outbox through the client.
        .target(
            name: "Replayer",
            dependencies: ["LeadModel", "Journal", "IntercomClient"],
            swiftSettings: settings
        ),
        // Session: the state of a shell and what each command does.
        .target(
            name: "Session",
            dependencies: ["LeadModel", "CommandParser", "LeadImport", "Journal", "Replayer", "IntercomClient"],
            swiftSettings: settings
        ),
        // The fake Intercom's logic: a workspace's leads, versions, rate limit and faults, and the
        // in-memory transport that hands it requests without a socket (the simulator, the tests).
        .target(
            name: "FakeIntercomCore",
            dependencies: [
                "LeadModel", "IntercomClient",
                .product(name: "Logging", package: "swift-log"),
            ],
            resources: [.copy("Seed")],
            swiftSettings: settings
        ),
        // The fake Intercom served over HTTP(S) on SwiftNIO (NIOPosix, NIOHTTP1, NIOSSL): tests,
        // benchmarks and the fake-intercom program.
        .target(
            name: "FakeIntercom",
            dependencies: [
                "FakeIntercomCore", "LeadModel",
                .product(name: "NIOCore", package: "swift-nio"),
                .product(name: "NIOHTTP1", package: "swift-nio"),
                .product(name: "NIOPosix", package: "swift-nio"),
                .product(name: "NIOSSL", package: "swift-nio-ssl"),
                .product(name: "Logging", package: "swift-log"),
            ],
            swiftSettings: settings
        ),
        // The leadsh program: options, start-up, the loop, exit codes.
        .target(
            name: "LeadshApp",
            dependencies: [
                "LeadModel", "CommandParser", "Session", "Journal", "Replayer",
                "IntercomClient", "LineEditor", "FakeIntercomCore",
                .product(name: "ArgumentParser", package: "swift-argument-parser"),
                .product(name: "TOMLKit", package: "TOMLKit"),
                .product(name: "Subprocess", package: "swift-subprocess"),
                .product(name: "SystemPackage", package: "swift-system"),
            ],
            swiftSettings: settings
        ),
        .executableTarget(
            name: "leadsh",
            dependencies: ["LeadshApp"],
            swiftSettings: settings,
            linkerSettings: releaseStartup
        ),
        // The deterministic replay simulator: the real Session, Replayer and Journal against the
        // fake in memory, under seeded schedules of faults (`scripts/simulate`).
        .target(
            name: "ReplaySimulator",
            dependencies: [
                "Session", "Replayer", "Journal", "IntercomClient", "FakeIntercomCore", "LeadModel",
            ],
            swiftSettings: settings
        ),
        .executableTarget(
            name: "leadsh-simulate",
            dependencies: ["ReplaySimulator"],
            swiftSettings: settings
        ),
        .executableTarget(
            name: "fake-intercom",
            dependencies: [
                "FakeIntercom",
                .product(name: "ArgumentParser", package: "swift-argument-parser"),
            ],
            swiftSettings: settings
        ),
        // Shared helpers for tests: temp journals, a live fake, running the binary.
        .target(
            name: "TestSupport",
            dependencies: ["FakeIntercom", "LeadModel", "ReplaySimulator", "LeadshApp", "LineEditor", "IntercomClient"],
            swiftSettings: settings
        ),
        .testTarget(name: "LineEditorTests", dependencies: ["LineEditor", "TestSupport"], swiftSettings: settings),
        .testTarget(
            name: "LeadModelTests",
            dependencies: ["LeadModel", "TestSupport"],
            resources: [.copy("Fixtures")],
            swiftSettings: settings
        ),
        .testTarget(name: "LeadImportTests", dependencies: ["LeadImport", "LeadModel", "TestSupport"], swiftSettings: settings),
        .testTarget(name: "CommandParserTests", dependencies: ["CommandParser", "LeadModel", "TestSupport"], swiftSettings: settings),
        .testTarget(
            name: "IntercomClientTests",
            dependencies: ["IntercomClient", "FakeIntercom", "TestSupport"],
            swiftSettings: settings
        ),
        .testTarget(
            name: "FakeIntercomTests",
            dependencies: [
                "FakeIntercom", "LeadModel", "TestSupport",
                .product(name: "AsyncHTTPClient", package: "async-http-client"),
            ],
            swiftSettings: settings
        ),
        .testTarget(
            name: "JournalTests",
            dependencies: ["Journal", "LeadModel", "TestSupport", .product(name: "GRDB", package: "GRDB.swift")],
            swiftSettings: settings
        ),
        .testTarget(
            name: "ReplayerTests",
            dependencies: [
                "Replayer", "Journal", "IntercomClient", "FakeIntercom", "TestSupport", "LeadshApp",
                .product(name: "GRDB", package: "GRDB.swift"),
            ],
            swiftSettings: settings
        ),
        .testTarget(
            name: "SessionTests",
            dependencies: [
                "Session", "CommandParser", "FakeIntercom", "IntercomClient", "Journal", "LeadModel", "Replayer", "TestSupport",
            ],
            swiftSettings: settings
        ),
        .testTarget(
            name: "LeadshAppTests",
            dependencies: ["LeadshApp", "TestSupport", .product(name: "ArgumentParser", package: "swift-argument-parser")],
            swiftSettings: settings
        ),
        .testTarget(
            name: "SimulatorTests",
            dependencies: ["ReplaySimulator", "Journal", "Replayer", "IntercomClient", "TestSupport"],
            swiftSettings: settings
        ),
        .testTarget(
            name: "EndToEndTests",
            dependencies: [
                "FakeIntercom", "LeadModel", "IntercomClient", "Journal", "TestSupport", "LeadshApp",
                .product(name: "GRDB", package: "GRDB.swift"),
            ],
            exclude: ["Fixtures"],
            swiftSettings: settings
        ),
    ]
)
