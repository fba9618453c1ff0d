import { Counter, Gauge, Registry } from 'prom-client';

/**
 * The controller's metrics. Names MetalLB also exports keep MetalLB's name and labels, so
 * dashboards built for it work; airlb's own start with airlb_.
 */
export class ControllerMetrics {
  /** MetalLB: metallb_allocator_addresses_in_use_total{pool}. */
  readonly addressesInUse: Gauge<'pool'>;
  /** MetalLB: metallb_allocator_addresses_total{pool}. */
  readonly addressesTotal: Gauge<'pool'>;
  readonly allocationFailures: Counter<'reason'>;
  readonly configIssues: Gauge;
  readonly apiConnected: Gauge;
  readonly statusWrites: Counter<'result'>;

  constructor(readonly registry: Registry) {
    const registers = [registry];
    this.addressesInUse = new Gauge({ name: 'metallb_allocator_addresses_in_use_total', help: 'Number of IP addresses in use, per pool', labelNames: ['pool'], registers });
    this.addressesTotal = new Gauge({ name: 'metallb_allocator_addresses_total', help: 'Number of addresses in the ranges of each pool', labelNames: ['pool'], registers });
    this.allocationFailures = new Counter({ name: 'airlb_allocation_failures_total', help: 'Services that could not get an address, by reason', labelNames: ['reason'], registers });
    this.configIssues = new Gauge({ name: 'airlb_config_issues', help: 'Problems found in the metallb.io resources (0 when the configuration is valid)', registers });
    this.apiConnected = new Gauge({ name: 'airlb_k8s_api_connected', help: '1 when every informer has a working watch on the API server', registers });
    this.statusWrites = new Counter({ name: 'airlb_status_writes_total', help: 'Service status and annotation writes, by result (ok, conflict, error)', labelNames: ['result'], registers });
  }
}
