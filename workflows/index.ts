// Entry point of the workflow bundle: every workflow type the worker registers.
export { campaign, statusQuery, leaderboardQuery } from './campaign';
export type { CampaignInput, CampaignProgress, CarriedState } from './campaign';
