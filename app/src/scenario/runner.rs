pub struct ScenarioRunner; pub struct RunError;
