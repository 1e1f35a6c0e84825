using EmailPipeline.ServiceDefaults;

// Only liveness for now: the CheckMessage consumer and the checks' wiring come with the rest of the Policy issue.
var builder = WebApplication.CreateBuilder(args);
builder.AddServiceDefaults("Policy");

var app = builder.Build();
app.MapServiceDefaults();
return await app.RunServiceAsync();
