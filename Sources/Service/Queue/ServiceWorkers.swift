import Logging

/// The service's task handlers, by task name, and a worker that runs them — what `qf worker` and
/// `qf serve --worker` start.
public enum ServiceWorkers {
    public static func handlers(database: Database, data: DataSettings) -> [String: any TaskHandler] {
        [IngestDatasetHandler.taskName: IngestDatasetHandler(database: database, settings: data),
         TrainTaskHandler.taskName: TrainTaskHandler(database: database, settings: data)]
    }

    public static func make(database: Database, settings: DatabaseSettings, data: DataSettings, queues: [String] = TaskQueues.all,
                            concurrency: Int = 1, pollInterval: Duration = .seconds(1), logger: Logger) -> Worker {
        Worker(queue: TaskQueue(client: database.primary), queues: queues, concurrency: concurrency,
               handlers: handlers(database: database, data: data), pollInterval: pollInterval, listen: settings.primaryConnection, logger: logger)
    }
}
