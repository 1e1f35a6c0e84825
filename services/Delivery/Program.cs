using EmailPipeline.Delivery.Extensions;
using EmailPipeline.ServiceDefaults;

var builder = WebApplication.CreateBuilder(args);
builder.AddServiceDefaults("Delivery");
builder.AddDelivery();

var app = builder.Build();
app.MapServiceDefaults();
return await app.RunServiceAsync();
