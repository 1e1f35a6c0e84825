namespace EmailPipeline.Delivery.Consumers;

/// <summary>Queue names of the delivery service (the shared names live in Contracts' PipelineQueues).</summary>
public static class DeliveryQueues
{
    /// <summary>The quorum queue (and MassTransit receive endpoint) where DeliveryRequested is consumed.</summary>
    public const string Delivery = EmailPipeline.Contracts.PipelineQueues.Delivery;
}
