// Entry point of the workflow bundle: every workflow type the worker registers, and the control API.
export { campaign } from './campaign';
export type { CampaignInput, CarriedState } from './state';
export * from './control';
