// The resources area (the API registry): its operations, in the order the CLI's help lists them.
import { createResource } from './create-resource.ts';
import { deleteResource } from './delete-resource.ts';
import { listResourceReviews } from './list-resource-reviews.ts';
import { listResources } from './list-resources.ts';
import { reviewResource } from './review-resource.ts';
import { showResource } from './show-resource.ts';
import { updateResource } from './update-resource.ts';

export const RESOURCE_OPERATIONS = [
  createResource,
  listResources,
  showResource,
  updateResource,
  reviewResource,
  listResourceReviews,
  deleteResource,
];
