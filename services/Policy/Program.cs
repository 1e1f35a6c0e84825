using EmailPipeline.Policy.Cli;
using EmailPipeline.Policy.Extensions;
using EmailPipeline.ServiceDefaults;

// "check", "spf", "dkim", "dmarc": the command-line checker (see README); otherwise the service.
if (PolicyCommand.IsCommand(args))
{
    return await PolicyCommand.RunAsync(args, Console.Out, Console.Error);
}

var builder = WebApplication.CreateBuilder(args);
builder.AddServiceDefaults("Policy");
builder.AddPolicy();

var app = builder.Build();
app.MapServiceDefaults();
return await app.RunServiceAsync();
