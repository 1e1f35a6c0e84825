using EmailPipeline.Queue.Extensions;
using EmailPipeline.ServiceDefaults;

var builder = WebApplication.CreateBuilder(args);
builder.AddServiceDefaults("Queue");
builder.AddQueue();

var app = builder.Build();
app.MapServiceDefaults();
return await app.RunServiceAsync();
