import LeadModel
import TestSupport
import Testing

/// `show` reads like a record: the fields that have a value, nested objects on one line,
/// custom attributes last with their types; `show --all` and `--json` keep everything.
@Suite("show: the fields that have a value")
struct ShowTests {
    static func show(_ version: String, _ commands: [String]) async -> ProcessResult {
        let home = TempDirectory("leadsh-show")
        return await leadshInProcess(
            ["--sandbox", "--api-version", version, "-c", "load \(obrien)"] + commands.flatMap { ["-c", $0] },
            environment: leadshEnvironment(home: home.path))
    }

    @Test("show leaves out empty fields, sums up location, tags and companies, and lists custom attributes last with types", arguments: apiVersions)
    func readable(version: String) async throws {
        let run = await Self.show(version, ["attr plan gold", "show", "discard"])
        #expect(run.status == 0, "\(run.stderr)")
        let lines = run.stdout.split(separator: "\n").map(String.init).filter { !$0.hasPrefix("loaded ") && !$0.hasPrefix("discarded ") }
        #expect(!lines.isEmpty)
        #expect(!lines.contains { $0.hasSuffix(" null") }, "no empty field: \(lines)")
        #expect(!lines.contains { $0.contains("{\"type\"") }, "no nested object as JSON: \(lines)")
        let location = version == "1.4" ? "location_data" : "location"
        #expect(lines.contains { $0.hasPrefix(location + " ") && $0.hasSuffix("  Mukilteo, Washington, United States") }, "\(lines)")
        #expect(lines.contains { $0.range(of: #"^tags +none$"#, options: .regularExpression) != nil }, "\(lines)")
        #expect(lines.contains { $0.range(of: #"^companies +none$"#, options: .regularExpression) != nil }, "\(lines)")
        #expect(lines.contains { $0.hasPrefix("email ") && $0.hasSuffix("\"obrien@truth.org\"") })
        // Custom attributes last, each with its type; the unpushed one marked.
        let firstCustom = try #require(lines.firstIndex { $0.hasPrefix("custom_attributes.") })
        #expect(lines[firstCustom...].allSatisfy { $0.hasPrefix("custom_attributes.") }, "\(lines)")
        #expect(lines.contains { $0.hasPrefix("custom_attributes.monthly_spend") && $0.contains("155.5 (decimal)") }, "\(lines)")
        #expect(lines.contains { $0.hasPrefix("custom_attributes.paid_subscriber") && $0.contains("true (boolean)") }, "\(lines)")
        #expect(lines.contains { $0.hasPrefix("custom_attributes.plan") && $0.contains("\"gold\" (string)  * was (absent)") }, "\(lines)")
    }

    @Test("show --all lists every field as Intercom sent it; show FIELD and --json are unchanged", arguments: apiVersions)
    func everything(version: String) async throws {
        let all = await Self.show(version, ["show --all"])
        #expect(all.status == 0, "\(all.stderr)")
        #expect(all.stdout.contains(" null\n"), "empty fields too: \(all.stdout)")
        #expect(all.stdout.contains("{\"type\":"), "nested objects as JSON: \(all.stdout)")
        #expect(!all.stdout.contains("(decimal)"), "no types added: \(all.stdout)")

        let field = await Self.show(version, ["show email"])
        #expect(field.stdout.hasSuffix("\n\"obrien@truth.org\"\n"), "\(field.stdout)")

        let asJSON = await leadshInProcess(
            ["--sandbox", "--json", "--api-version", version, "-c", "load \(obrien)", "-c", "show"],
            environment: leadshEnvironment(home: TempDirectory("leadsh-show-json").path))
        let document = try JSONText.parse(String(asJSON.stdout.split(separator: "\n").last ?? ""))
        #expect(document["lead"]?[version == "1.4" ? "location_data" : "location"]?.objectValue != nil, "\(asJSON.stdout)")
        #expect(document["lead"]?["custom_attributes"]?["monthly_spend"] == .double(155.5))
    }
}
