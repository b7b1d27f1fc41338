/// `PUT /api/v1/strategies/{id}`'s body: the fields given change (null clears description and
/// category); `changelog` and `version_bump` describe the version a config or parameters change
/// makes.
struct UpdateStrategyRequest: RequestFields {
    static let name = BodyField("name", .text(maxLength: 100, rule: .init(minLength: 1, pattern: BodyField.notBlank)), nullable: false)
    static let changelog = BodyField("changelog", .text(maxLength: 10_000))
    static let versionBump = BodyField("version_bump", .choice(SemanticVersion.Part.allCases.map(\.rawValue)))
    static let fields = [name, StrategyFields.description, StrategyFields.config, StrategyFields.parameters, StrategyFields.tags,
                         StrategyFields.category, changelog, versionBump]

    var change = StrategyStore.Change()

    init(_ body: RequestBody) throws {
        var body = body
        body.allowOnly(Self.fieldNames, hints: StrategyFields.managed.merging(["strategy_type": "fixed at creation; clone to change it"]) { $1 })
        change.name = body.text(Self.name)
        if change.name?.isEmpty == true { body.fail("name", "must not be empty") }
        if body.fields["description"] != nil { change.description = .some(body.text(StrategyFields.description)) }
        change.config = body.object(StrategyFields.config)
        change.parameters = body.object(StrategyFields.parameters)
        change.tags = body.strings(StrategyFields.tags)
        if body.fields["category"] != nil { change.category = .some(body.text(StrategyFields.category)) }
        change.changelog = body.text(Self.changelog)
        change.bump = body.choice(Self.versionBump).flatMap(SemanticVersion.Part.init(rawValue:))
        try body.validate()
    }
}
