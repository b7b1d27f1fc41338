/// The fields the strategy requests share.
enum StrategyFields {
    static let name = BodyField("name", .text(maxLength: 100), required: true)
    static let description = BodyField("description", .text(maxLength: 10_000))
    static let config = BodyField("config", .object, description: "The rule or expressions and, optionally, config.dataset_id")
    static let parameters = BodyField("parameters", .object)
    static let tags = BodyField("tags", .strings(maxCount: 50, maxLength: 50))
    static let category = BodyField("category", .text(maxLength: 50))
    /// Fields the server manages, refused with why.
    static let managed = ["status": "changes only through start and stop", "version": "set by edits and version activation",
                          "performance": "written by training and evaluation runs", "owner_id": "always the caller",
                          "total_return": "written by runs", "sharpe_ratio": "written by runs", "max_drawdown": "written by runs",
                          "win_rate": "written by runs", "id": "assigned by the server"]
}
