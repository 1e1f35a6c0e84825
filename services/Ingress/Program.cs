using EmailPipeline.Ingress.Authentication;
using EmailPipeline.Ingress.Extensions;
using EmailPipeline.ServiceDefaults;

if (args is ["hash-password", ..])
{
    // Operators make the PasswordHash and CramMd5Secret values of Ingress:Authentication:Users with this.
    return await PasswordHashCommand.RunAsync(Console.In, Console.Out, CancellationToken.None);
}

var builder = WebApplication.CreateBuilder(args);
builder.AddServiceDefaults("Ingress");
builder.AddIngress();

var app = builder.Build();
app.MapServiceDefaults();
app.LogListeners();
return await app.RunServiceAsync();
